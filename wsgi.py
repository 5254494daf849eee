"""WSGI entry point: ``gunicorn wsgi:app``. Only builds the app."""

from forum import create_app

app = create_app()
