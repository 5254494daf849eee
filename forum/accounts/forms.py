"""Account forms: validation only."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from forum.accounts import validation
from forum.accounts.services import DISPLAY_NAME_MAX


class RegisterForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=60)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=validation.EMAIL_MAX), Email(check_deliverability=False)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=validation.PASSWORD_MAX)])
    confirm = PasswordField("Repeat password", validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")])

    def validate_username(self, field):
        try:
            field.data = validation.check_username(field.data or "")
        except validation.ValidationError as exc:
            raise ValidationError(str(exc)) from exc
        from forum.accounts.names import check_not_imitating_staff

        try:  # helpdesk: members cannot pose as staff or the brand
            check_not_imitating_staff(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def validate_password(self, field):
        try:
            validation.check_password(field.data or "", username=self.username.data or "", email=self.email.data or "")
        except validation.ValidationError as exc:
            raise ValidationError(str(exc)) from exc


class LoginForm(FlaskForm):
    login = StringField("Username or email", validators=[DataRequired(), Length(max=validation.EMAIL_MAX)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=validation.PASSWORD_MAX)])
    remember = BooleanField("Remember me")


class ResetRequestForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=validation.EMAIL_MAX), Email(check_deliverability=False)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=validation.PASSWORD_MAX)])
    confirm = PasswordField("Repeat new password", validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=validation.PASSWORD_MAX)])
    password = PasswordField("New password", validators=[DataRequired(), Length(max=validation.PASSWORD_MAX)])
    confirm = PasswordField("Repeat new password", validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")])


class ResendVerificationForm(FlaskForm):
    pass


class SettingsForm(FlaskForm):
    display_name = StringField("Display name", validators=[Optional(), Length(max=DISPLAY_NAME_MAX)])


class TwoFactorCodeForm(FlaskForm):
    """One code: six digits from the authenticator app, or a recovery code (the
    service parses it, so every bad shape gets the same plain message)."""

    code = StringField("Code", validators=[DataRequired("Enter the code from your authenticator app."),
                                           Length(max=32, message="A code is at most 32 characters long.")])


class ResetTwoFactorForm(FlaskForm):
    reason = StringField("Reason (recorded in the moderation log)", validators=[Optional(), Length(max=500)])
