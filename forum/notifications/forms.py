"""Notification forms: validation only."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField
from wtforms.validators import DataRequired

from forum.notify import EMAIL_CATEGORIES

MODE_CHOICES = [SelectChoice("immediate", "Immediately"), SelectChoice("daily", "In a daily digest"),
                SelectChoice("off", "Never")]


class SubscriptionForm(FlaskForm):
    state = SelectField("Notifications", choices=[SelectChoice("watching", "Follow"), SelectChoice("muted", "Mute")])


class EmailSettingsForm(FlaskForm):
    """One radio group per email category (fields named after the categories)."""


for _category, (_label, _default) in EMAIL_CATEGORIES.items():
    setattr(EmailSettingsForm, _category, RadioField(_label, choices=MODE_CHOICES,
                                                     validators=[DataRequired("Choose how we email you about this.")]))
