"""Insights forms: validation only."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice
from wtforms.validators import DataRequired


class FoundForm(FlaskForm):
    found = RadioField("Did you find what you needed?", choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")],
                       validators=[DataRequired("Answer Yes or No.")])
