"""Search forms: validation only."""

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class SynonymForm(FlaskForm):
    key = StringField("Word or phrase", validators=[DataRequired(), Length(max=80)])
    entries = TextAreaField("Means the same as (comma-separated; empty switches the shipped group off)",
                            validators=[Optional(), Length(max=1000)])
