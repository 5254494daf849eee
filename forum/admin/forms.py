from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp

from forum.models import ROLES


class CategoryForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(min=2, max=80)])
    slug = StringField("Address (slug)", validators=[Optional(), Length(max=80), Regexp(r"^[a-z0-9-]+\Z", message="Use lower-case letters, digits and dashes.")])
    description = TextAreaField("Description", validators=[Optional(), Length(max=500)])


class MoveForm(FlaskForm):
    # AnyOf, not Regexp("^(up|down)$"): "$" also matches before a final newline, and
    # the view treats anything but "up" as down.
    direction = HiddenField(validators=[DataRequired(), AnyOf(["up", "down"])])


class RoleForm(FlaskForm):
    # Plain strings (value = label): WTForms 3.3 deprecates (value, label) tuples,
    # and the suite turns that DeprecationWarning into an error.
    role = SelectField("Role", choices=list(ROLES), validators=[DataRequired()])
    reason = StringField("Reason (recorded)", validators=[DataRequired(), Length(min=3, max=500)])
