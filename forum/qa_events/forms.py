"""Q&A session forms: validation only (the services re-check everything)."""

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from forum.idempotency import SubmissionTokenField
from forum.models.qa_events import QA_STATE_LABELS
from forum.qa_events.services import LIMIT_MAX, LIMIT_MIN, QUESTION_MAX, QUESTION_MIN

_WHEN = "%Y-%m-%dT%H:%M"


class EventForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Give the session a title."), Length(max=150)])
    slug = StringField(
        "Slug (the address: /ask/<slug>)",
        validators=[DataRequired("Give the session a slug."), Length(max=80),
                    Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message="Use lower-case letters, digits and hyphens.")],
    )
    executive_id = SelectField(
        "Executive", coerce=int, validators=[InputRequired("Choose the executive.")],
        invalid_value_message="Choose one of the executives listed.",
        invalid_choice_message="Choose one of the executives listed.",
    )
    executive_title = StringField("Executive's public title", validators=[Optional(), Length(max=100)])
    intro = TextAreaField("Introduction (Markdown)", validators=[Optional(), Length(max=5000)])
    questions_open_at = DateTimeLocalField("Questions open at (UTC)", format=_WHEN, validators=[InputRequired("Give a time.")])
    questions_close_at = DateTimeLocalField("Questions close at (UTC)", format=_WHEN, validators=[InputRequired("Give a time.")])
    live_starts_at = DateTimeLocalField("Live part starts at (UTC)", format=_WHEN, validators=[InputRequired("Give a time.")])
    live_ends_at = DateTimeLocalField("Live part ends at (UTC)", format=_WHEN, validators=[InputRequired("Give a time.")])
    question_limit = IntegerField(
        "Questions per member", default=3,
        validators=[InputRequired("Give a number."), NumberRange(LIMIT_MIN, LIMIT_MAX)],
    )


class QuestionForm(FlaskForm):
    #: One-time token: a repeated submit returns the first result (forum.idempotency).
    submission_token = SubmissionTokenField()
    body = TextAreaField(
        "Your question",
        filters=[lambda v: (v or "").replace("\r\n", "\n").strip()],
        validators=[
            DataRequired("Write your question first: it cannot be empty."),
            Length(min=QUESTION_MIN, max=QUESTION_MAX,
                   message=f"Questions are {QUESTION_MIN} to {QUESTION_MAX} characters long."),
        ],
    )
    #: Set once the member has seen the similar questions (the "check" step).
    confirm = HiddenField(validators=[Optional(), Regexp(r"^1$")])


class VoteForm(FlaskForm):
    vote = HiddenField(validators=[DataRequired(), Regexp(r"^[01]$")])


class ReasonForm(FlaskForm):
    reason = StringField("Reason", validators=[DataRequired("Give a reason."), Length(max=300)])


class MergeForm(ReasonForm):
    into = IntegerField("Merge into question #", validators=[InputRequired("Say which question."), NumberRange(1, 2**31 - 1)])


class AnswerForm(FlaskForm):
    #: One-time token: a repeated submit returns the first result (forum.idempotency).
    submission_token = SubmissionTokenField()
    body = TextAreaField("Answer (Markdown)", validators=[DataRequired("Write the answer first."), Length(max=20_000)])
    kind = SelectField(
        "Kind", choices=[SelectChoice("answer", "Answer"), SelectChoice("follow_up", "Follow-up note: we will come back to you")],
        default="answer",
    )


class TransitionForm(FlaskForm):
    to_state = SelectField("Move to", choices=[SelectChoice(k, v) for k, v in QA_STATE_LABELS.items()])
    reason = StringField("Note (optional)", validators=[Optional(), Length(max=500)])
