"""Notification forms: validation only."""

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField


class SubscriptionForm(FlaskForm):
    state = SelectField("Notifications", choices=[SelectChoice("watching", "Follow"), SelectChoice("muted", "Mute")])
