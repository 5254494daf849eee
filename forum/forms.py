"""Forms shared by every feature."""

from flask import abort
from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for POST buttons such as logout or "mark read"."""


def require_valid(form: FlaskForm, message: str | None = None) -> None:
    """Abort with 400 unless ``form`` validates (CSRF token included), saying why:
    ``message``, or the form's own error messages. For POST buttons whose forms have
    nothing to show again; forms a member fills in are re-rendered with 422 instead."""
    if not form.validate_on_submit():
        abort(400, message or "; ".join(e for errs in form.errors.values() for e in errs) or "Bad request.")
