"""``/styleguide``: the design system (tokens, type, spacing, components) on one page, for
admins; everyone else gets a 404. The page renders the real macros and CSS classes, so it
shows what the forum's pages use."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired

from forum.models.base import utcnow
from forum.permissions import can_view_styleguide

bp = Blueprint("styleguide", __name__)

#: The colour tokens shown as swatches: (custom property, what it is for).
COLOR_TOKENS = (
    ("--brand", "Brand (FORUM_BRAND_COLOR): header, buttons, links, focus"),
    ("--accent", "Accent (FORUM_BRAND_ACCENT): header rule, staff and reply borders"),
    ("--staff-bg", "Staff posts (FORUM_BRAND_STAFF_COLOR)"),
    ("--brand-soft", "Brand tint: table heads, hovers"),
    ("--text", "Body text"),
    ("--muted", "Secondary text (4.5:1 on white)"),
    ("--bg", "Page background"),
    ("--line", "Borders"),
    ("--ok", "Success"),
    ("--info", "Information"),
    ("--warn", "Warning"),
    ("--error", "Errors only"),
)
TYPE_SCALE = ("--text-2xl", "--text-xl", "--text-lg", "--text-md", "--text-sm", "--text-xs")
SPACING = ("--space-1", "--space-2", "--space-3", "--space-4", "--space-5", "--space-6")


class ExampleForm(FlaskForm):
    """The form components; the page never submits it anywhere."""

    class Meta:
        csrf = False

    title = StringField("Topic title", validators=[DataRequired()])
    body = TextAreaField("Your question")
    plan = RadioField("Your plan", choices=[SelectChoice("monthly", "Pay monthly"), SelectChoice("sim", "SIM only"),
                                             SelectChoice("payg", "Pay as you go")],
                      default="monthly")
    follow = BooleanField("Email me when someone replies")


@bp.route("/styleguide")
def styleguide():
    """The design system, documented with live components (admins only)."""
    if not can_view_styleguide(current_user):
        abort(404)
    form = ExampleForm(formdata=None)
    form.title.errors = ["Give your topic a title."]
    return render_template("styleguide.html", form=form, color_tokens=COLOR_TOKENS, type_scale=TYPE_SCALE,
                           spacing=SPACING, an_hour_ago=utcnow() - timedelta(hours=1), example_user=current_user)
