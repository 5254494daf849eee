"""Help-desk forms: validation only."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from forum.helpdesk.services import COMMENT_MAX
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

