"""Help-desk forms: validation only."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from forum.helpdesk.cases import RESOLVE_REASON_MESSAGE
from forum.helpdesk.services import COMMENT_MAX
from forum.models.cases import ISSUE_LABELS
from forum.text import REASON_MAX


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
