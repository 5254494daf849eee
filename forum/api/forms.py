"""The token pages' forms (validation only)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional


class TokenForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    scope_read = BooleanField("read: topics, posts, search, incidents, profiles", default=True)
    scope_write = BooleanField("write: start topics, reply, post incident updates, notes")
    scope_staff = BooleanField("staff: the staff queue, private cases, internal notes, incident updates")
    rate_limit = StringField("Rate limit (optional)", validators=[Optional(), Length(max=40)])

    def scopes(self) -> list[str]:
        return [name for name in ("read", "write", "staff") if self[f"scope_{name}"].data]


class ServiceTokenForm(TokenForm):
    service_user = StringField("Acts as (username of the service account)", validators=[DataRequired(), Length(max=60)])
