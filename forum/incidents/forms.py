"""Incident forms: validation only (the services re-check everything)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from forum.idempotency import SubmissionTokenField
from forum.incidents.services import (
    BODY_MAX,
    CORRECTION_REASON_REQUIRED,
    EMPTY_UPDATE,
    NO_FIRST_UPDATE,
    SUMMARY_MAX,
    SUMMARY_REQUIRED,
    TAGS_TOTAL_MAX,
    TITLE_LENGTH_MESSAGE,
    TITLE_MAX,
    TITLE_MIN,
)
from forum.models.incidents import AREAS, OPEN_STATES, SEVERITIES, SEVERITY_LABELS, STATE_LABELS
from forum.text import REASON_LENGTH_MESSAGE, REASON_MAX, REASON_REQUIRED_MESSAGE, normalise_newlines

_STATE_CHOICES = [SelectChoice(s, STATE_LABELS[s]) for s in OPEN_STATES]


class IncidentForm(FlaskForm):
    #: One-time token: a repeated submit returns the first result (forum.idempotency).
    submission_token = SubmissionTokenField()
    title = StringField(
        "Title",
        validators=[
            DataRequired("Give the incident a title."),
            Length(min=TITLE_MIN, max=TITLE_MAX, message=TITLE_LENGTH_MESSAGE),
        ],
    )
    tags = StringField(
        "Affected services or regions",
        validators=[Optional(), Length(max=TAGS_TOTAL_MAX, message=f"At most {TAGS_TOTAL_MAX} characters.")],
    )
    severity = SelectField(
        "Severity", choices=[SelectChoice(s, SEVERITY_LABELS[s]) for s in SEVERITIES], validate_choice=True, default="major"
    )
    state = SelectField("State", choices=_STATE_CHOICES, default="investigating")
    body = TextAreaField(
        "First update",
        filters=[normalise_newlines],
        validators=[DataRequired(NO_FIRST_UPDATE), Length(max=BODY_MAX, message=f"At most {BODY_MAX:,} characters.")],
    )


class UpdateForm(FlaskForm):
    #: One-time token: a repeated submit returns the first result (forum.idempotency).
    submission_token = SubmissionTokenField()
    state = SelectField("State", choices=_STATE_CHOICES)
    body = TextAreaField(
        "Update",
        filters=[normalise_newlines],
        validators=[DataRequired(EMPTY_UPDATE), Length(max=BODY_MAX, message=f"At most {BODY_MAX:,} characters.")],
    )


class CorrectionForm(FlaskForm):
    #: One-time token: a repeated submit returns the first result (forum.idempotency).
    submission_token = SubmissionTokenField()
    body = TextAreaField(
        "Corrected text",
        filters=[normalise_newlines],
        validators=[DataRequired(EMPTY_UPDATE), Length(max=BODY_MAX, message=f"At most {BODY_MAX:,} characters.")],
    )
    reason = StringField(
        "What the correction fixes (shown publicly)",
        validators=[DataRequired(CORRECTION_REASON_REQUIRED), Length(max=REASON_MAX, message=REASON_LENGTH_MESSAGE)],
    )


class ResolveForm(FlaskForm):
    summary = TextAreaField(
        "Final summary: what happened and what we will do",
        filters=[normalise_newlines],
        validators=[DataRequired(SUMMARY_REQUIRED), Length(max=SUMMARY_MAX, message=f"At most {SUMMARY_MAX:,} characters.")],
    )
    publish = BooleanField("Also publish the summary as a topic in Announcements")


class AffectedForm(FlaskForm):
    area = SelectField("Your area (optional)", choices=[SelectChoice("", "Prefer not to say"), *(SelectChoice(k, v) for k, v in AREAS.items())], default="")


class LinkTopicForm(FlaskForm):
    topic = StringField(
        "Topic number or address",
        validators=[DataRequired("Give the topic's number or address (e.g. /t/42)."), Length(max=300)],
    )
    reason = StringField(
        "Reason (shown in the public moderation log)",
        validators=[DataRequired(REASON_REQUIRED_MESSAGE), Length(max=REASON_MAX, message=REASON_LENGTH_MESSAGE)],
    )
