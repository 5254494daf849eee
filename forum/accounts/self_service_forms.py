"""Forms for account self-service (email change, data export, deletion): validation only."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from forum.accounts import validation


def _current_password() -> PasswordField:
    return PasswordField("Current password", validators=[
        DataRequired("Enter your current password."), Length(max=validation.PASSWORD_MAX)])


class ChangeEmailForm(FlaskForm):
    email = EmailField("New email address", validators=[
        DataRequired("Enter the new email address."), Length(max=validation.EMAIL_MAX),
        Email("Enter a valid email address.", check_deliverability=False)])
    current_password = _current_password()


class ExportForm(FlaskForm):
    current_password = _current_password()


class DeleteAccountForm(FlaskForm):
    current_password = _current_password()
    confirm = BooleanField("I understand that my account is deleted for good and cannot be restored",
                           validators=[DataRequired("Tick the box to confirm that you want to delete your account.")])
