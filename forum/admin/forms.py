from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from forum.models import ROLES


class CategoryForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(min=2, max=80)])
    slug = StringField("Address (slug)", validators=[Optional(), Length(max=80), Regexp(r"^[a-z0-9-]+$", message="Use lower-case letters, digits and dashes.")])
    description = TextAreaField("Description", validators=[Optional(), Length(max=500)])


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[DataRequired(), Regexp(r"^(up|down)$")])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[(r, r) for r in ROLES], validators=[DataRequired()])
    reason = StringField("Reason (recorded)", validators=[DataRequired(), Length(min=3, max=500)])
