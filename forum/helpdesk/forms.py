"""Help-desk forms: validation only."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from forum.helpdesk.services import COMMENT_MAX, DISPLAY_NAME_MAX, REASON_MAX


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


class SubscriptionForm(FlaskForm):
    state = SelectField("Notifications", choices=[SelectChoice("watching", "Follow"), SelectChoice("muted", "Mute")])


class SettingsForm(FlaskForm):
    display_name = StringField("Display name", validators=[Optional(), Length(max=DISPLAY_NAME_MAX)])
    email_notifications = RadioField(
        "Email me about notifications",
        choices=[SelectChoice("off", "Never"), SelectChoice("immediate", "Immediately"),
                 SelectChoice("daily", "In a daily digest")],
        validators=[DataRequired("Choose how we email you.")],
    )


class ActionForm(FlaskForm):
    """Only the CSRF token: buttons such as kudos, accept and claim."""
