"""Forms of the first sign-in through a provider: validation only."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from forum.accounts import validation


class NewAccountForm(FlaskForm):
    username = StringField("Choose your username", validators=[DataRequired("Choose a username."), Length(max=60)])


class LinkAccountForm(FlaskForm):
    login = StringField("Username or email", validators=[DataRequired(), Length(max=validation.EMAIL_MAX)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=validation.PASSWORD_MAX)])
