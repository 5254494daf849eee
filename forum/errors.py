"""Error pages: every 4xx says what went wrong; a 500 rolls the session back."""

from flask import render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from forum.extensions import db

MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have permission to do that.",
    404: "We could not find that page.",
    405: "That action is not allowed here.",
    413: "That was too large to accept.",
    429: "Too many requests. Please wait a moment and try again.",
    500: "Something went wrong on our side. It has been logged; please try again.",
}


def _render(code: int, message: str):
    if request.path.startswith("/api/"):  # the JSON API's one error shape (forum/api/errors.py)
        return {"error": {"code": {404: "not_found", 405: "method_not_allowed"}.get(code, "error"), "message": message}}, code
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/healthz"):
        return {"error": message, "status": code}, code
    return render_template("errors/error.html", code=code, message=message), code


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _render(400, "Your form expired or was sent without its security token. Go back, reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if exc.response is not None:
            return exc.response
        code = exc.code
        message = MESSAGES.get(code, exc.description or "Error")
        if code in (400, 403) and exc.description and exc.description != type(exc).description:
            message = exc.description
        if code == 429:
            message = f"Too many requests ({exc.description}). Please wait a minute and try again."
        return _render(code, message)

    @app.errorhandler(InternalServerError)
    def server_error(exc):
        db.session.rollback()
        return _render(500, MESSAGES[500])
