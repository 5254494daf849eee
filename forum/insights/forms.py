"""Insights forms: validation only."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice
from wtforms.validators import DataRequired


class FoundForm(FlaskForm):
    """Sent by visitors from a publicly cached page: no session CSRF token (building one
    would start a session); the view checks a signed, topic-bound token instead."""

    class Meta:
        csrf = False

    found = RadioField("Did you find what you needed?", choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")],
                       validators=[DataRequired("Answer Yes or No.")])
