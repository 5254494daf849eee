"""The ``forum`` console script: Flask's CLI over the app factory."""

from flask.cli import FlaskGroup


def _create_app():
    from forum import create_app

    return create_app()


def main() -> None:
    FlaskGroup(create_app=_create_app, help="Manage the community forum.")(prog_name="forum")
