"""Topic forms: validation only."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from forum.topics.services import BODY_MAX, TITLE_MAX, TITLE_MIN


class NewTopicForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(min=TITLE_MIN, max=TITLE_MAX)])
    body = TextAreaField("Describe your question", validators=[DataRequired(), Length(max=BODY_MAX)])


class ReplyForm(FlaskForm):
    body = TextAreaField("Your reply", validators=[DataRequired(), Length(max=BODY_MAX)])
    parent_id = HiddenField(validators=[Optional(), Regexp(r"^\d{1,18}$", message="Bad reply target.")])


class PinForm(FlaskForm):
    pinned = HiddenField(validators=[DataRequired(), Regexp(r"^[01]$")])
