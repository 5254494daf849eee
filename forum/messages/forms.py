"""Conversation forms: validation only (the services check the same limits)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from forum.idempotency import SubmissionTokenField
from forum.messages.services import MESSAGE_EMPTY, MESSAGE_MAX, MESSAGE_TOO_LONG, SUBJECT_LENGTH, SUBJECT_MAX
from forum.text import collapse_whitespace, normalise_newlines

_body = dict(filters=[normalise_newlines], validators=[DataRequired(MESSAGE_EMPTY), Length(max=MESSAGE_MAX, message=MESSAGE_TOO_LONG)])
_id = [Optional(), Regexp(r"^[0-9]{1,9}$", message="Bad topic number.")]


class NewConversationForm(FlaskForm):
    #: One-time token: a repeated submit returns the first result (forum.idempotency).
    submission_token = SubmissionTokenField()
    to = StringField("To", filters=[lambda s: (s or "").strip()], validators=[Optional(), Length(max=60)])
    subject = StringField(
        "Subject", filters=[collapse_whitespace], validators=[DataRequired(SUBJECT_LENGTH), Length(max=SUBJECT_MAX, message=SUBJECT_LENGTH)]
    )
    body = TextAreaField("Message", **_body)
    topic_id = HiddenField(validators=_id)
    notice_on_topic = BooleanField("Show a public notice on the topic: “Customer Care has contacted you privately” (never the content)")


class MessageForm(FlaskForm):
    #: One-time token: a repeated submit returns the first result (forum.idempotency).
    submission_token = SubmissionTokenField()
    body = TextAreaField("Your message", **_body)


class SendPrivatelyForm(FlaskForm):
    """What the personal-data guard's "send it privately" button posts: the public
    form's own fields (title for a new topic; the topic id for a reply)."""

    title = StringField(filters=[collapse_whitespace], validators=[Optional()])
    body = TextAreaField(filters=[normalise_newlines])
    topic_id = HiddenField(validators=_id)


class InboxActionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired(), Regexp(r"^(me|none)$", message="Bad assignment.")])
