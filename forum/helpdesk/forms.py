"""Help-desk forms: validation only."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from forum.helpdesk.cases import RESOLVE_REASON_MESSAGE
from forum.helpdesk.notes import NOTE_EMPTY, NOTE_MAX, NOTE_TOO_LONG
from forum.helpdesk.saved_replies import BODY_EMPTY as SAVED_BODY_EMPTY
from forum.helpdesk.saved_replies import BODY_MAX as SAVED_BODY_MAX
from forum.helpdesk.saved_replies import BODY_TOO_LONG as SAVED_BODY_TOO_LONG
from forum.helpdesk.saved_replies import TITLE_MAX as SAVED_TITLE_MAX
from forum.helpdesk.saved_replies import TITLE_MESSAGE as SAVED_TITLE_MESSAGE
from forum.helpdesk.services import COMMENT_MAX, SCORE_MESSAGE
from forum.markup import MAX_BODY_LENGTH
from forum.messages.services import MESSAGE_EMPTY, MESSAGE_MAX, MESSAGE_TOO_LONG, SUBJECT_LENGTH, SUBJECT_MAX
from forum.models.cases import ISSUE_LABELS
from forum.text import REASON_MAX, collapse_whitespace, normalise_newlines

NOTE_PUBLIC_TOO_LONG = f"The resolution note is at most {MAX_BODY_LENGTH:,} characters long."


class OfficialAnswerForm(FlaskForm):
    reason = TextAreaField(
        "Why is this the official answer?",
        validators=[DataRequired("Say why this is the official answer: the reason is shown in the public log."),
                    Length(max=REASON_MAX)],
    )


class SatisfactionForm(FlaskForm):
    answer = RadioField("Did this solve your problem?", choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")],
                        validators=[DataRequired("Answer Yes or No.")])
    comment = TextAreaField("Anything to add? (optional)", validators=[Optional(), Length(max=COMMENT_MAX)])


class SatisfactionScoreForm(FlaskForm):
    score = RadioField("How satisfied are you with the help you got?", coerce=int,
                       choices=[SelectChoice(n, f"{n}{label}") for n, label in
                                ((1, " (not satisfied)"), (2, ""), (3, ""), (4, ""), (5, " (very satisfied)"))],
                       validators=[DataRequired(SCORE_MESSAGE)])



class ResolveForAskerForm(FlaskForm):
    reason = TextAreaField(
        "Why are you resolving this for the asker?",
        validators=[DataRequired(RESOLVE_REASON_MESSAGE), Length(max=REASON_MAX)],
    )


class IssueLabelForm(FlaskForm):
    label = SelectField("Issue label", choices=[SelectChoice("", "No label"), *(SelectChoice(v, t) for v, t in ISSUE_LABELS.items())],
                        validate_choice=True, validators=[Optional()])
    incident = IntegerField("Incident number (optional)", validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    reason = StringField("Note for the log (optional)", validators=[Optional(), Length(max=REASON_MAX)])


# --- staff tools (validation only; the services check the same limits) ---


class InternalNoteForm(FlaskForm):
    # Its own id: the topic page also holds the reply form, whose "Your reply" label is for="body".
    body = TextAreaField("Internal note (staff only)", id="note-body", filters=[normalise_newlines],
                         validators=[DataRequired(NOTE_EMPTY), Length(max=NOTE_MAX, message=NOTE_TOO_LONG)])


class SavedReplyForm(FlaskForm):
    title = StringField("Title", filters=[collapse_whitespace],
                        validators=[DataRequired(SAVED_TITLE_MESSAGE), Length(max=SAVED_TITLE_MAX, message=SAVED_TITLE_MESSAGE)])
    body = TextAreaField("Reply text", filters=[normalise_newlines],
                         validators=[DataRequired(SAVED_BODY_EMPTY), Length(max=SAVED_BODY_MAX, message=SAVED_BODY_TOO_LONG)])


class EscalateForm(FlaskForm):
    subject = StringField("Subject", filters=[collapse_whitespace],
                          validators=[DataRequired(SUBJECT_LENGTH), Length(max=SUBJECT_MAX, message=SUBJECT_LENGTH)])
    body = TextAreaField("Message to the asker", filters=[normalise_newlines],
                         validators=[DataRequired(MESSAGE_EMPTY), Length(max=MESSAGE_MAX, message=MESSAGE_TOO_LONG)])


class CloseCaseForm(FlaskForm):
    note = TextAreaField("Public resolution note (optional, posted in the topic as your reply)",
                         filters=[normalise_newlines],
                         validators=[Optional(), Length(max=MAX_BODY_LENGTH, message=NOTE_PUBLIC_TOO_LONG)])
