"""Moderation forms: validation only. Every action carries a reason. (The edit form
is :class:`forum.topics.forms.EditPostForm`.)"""

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from forum.models import FLAG_REASONS
from forum.moderation.services import APPEAL_MAX, FLAG_NOTE_MAX
from forum.text import REASON_MAX, REASON_REQUIRED_MESSAGE

_reason_required = [DataRequired(REASON_REQUIRED_MESSAGE), Length(max=REASON_MAX)]


class ReasonForm(FlaskForm):
    reason = StringField("Reason (shown publicly in the moderation log)", validators=_reason_required)


class LockForm(ReasonForm):
    locked = HiddenField(validators=[DataRequired(), Regexp(r"^[01]$")])


class MoveForm(ReasonForm):
    category = SelectField("Move to", coerce=int, validate_choice=True)


class MergeForm(ReasonForm):
    into = StringField(
        "Merge into topic number", validators=[DataRequired("Give the number of the topic to merge into."),
                                                Regexp(r"^[0-9]{1,9}$", message="Give a topic number, such as 42.")]
    )


SUSPEND_CHOICES = [
    SelectChoice(value, label)
    for value, label in (("1", "1 day"), ("3", "3 days"), ("7", "7 days"), ("30", "30 days"), ("90", "90 days"),
                         ("365", "1 year"), ("indefinite", "Indefinitely"))
]


class SuspendForm(ReasonForm):
    duration = SelectField("Duration", choices=SUSPEND_CHOICES, default="7")


class FlagForm(FlaskForm):
    reason = RadioField("Why?", choices=[SelectChoice(k, v) for k, v in FLAG_REASONS.items()],
                        validators=[DataRequired("Choose why you are flagging this post.")])
    note = TextAreaField("Details (required for “Other”)", validators=[Optional(), Length(max=FLAG_NOTE_MAX)])


class AppealForm(FlaskForm):
    text = TextAreaField("Why should the decision change?",
                         validators=[DataRequired("Say why the decision should change."), Length(max=APPEAL_MAX)])


class DecideAppealForm(ReasonForm):
    outcome = RadioField("Decision", choices=[SelectChoice("granted", "Grant"), SelectChoice("denied", "Deny")],
                         validators=[DataRequired("Grant or deny the appeal.")])
