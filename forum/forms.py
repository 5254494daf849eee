"""Forms shared by every feature."""

from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for POST buttons such as logout or "mark read"."""
