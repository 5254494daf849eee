"""The token pages: ``/settings/api-tokens`` (a staff member's personal tokens) and
``/admin/api-tokens`` (service tokens, admins). Ordinary forms with CSRF. A new
token's secret is shown once, on the page answering the POST (never in a redirect, a
flash or the session), with ``Cache-Control: no-store``."""

from __future__ import annotations

from flask import make_response, redirect, render_template, url_for
from flask_login import current_user

from forum.accounts import services as account_services
from forum.actions import action
from forum.api import bp, forms, queries, services
from forum.extensions import db
from forum.forms import EmptyForm
from forum.models import ApiToken
from forum.permissions import can_create_personal_token, can_create_service_token, can_revoke_api_token, require


def _shown(template: str, status: int = 200, **context):
    response = make_response(render_template(template, **context), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/settings/api-tokens", methods=["GET", "POST"])
def personal_tokens():
    """A staff member's API tokens: create one (shown once), list, revoke."""
    require(can_create_personal_token, current_user)
    form = forms.TokenForm()
    secret = None
    if form.validate_on_submit():
        with action(form, field="name") as done:
            _, secret = services.create_personal_token(user=current_user, name=form.name.data, scopes=form.scopes(),
                                                       rate_limit=form.rate_limit.data)
        if done:
            form = forms.TokenForm(formdata=None)
    return _shown("api/personal_tokens.html", 422 if form.errors else 200, form=form, secret=secret,
                  tokens=queries.personal_tokens(current_user), revoke_form=EmptyForm())


@bp.route("/admin/api-tokens", methods=["GET", "POST"])
def service_tokens():
    """Service tokens for integrations, acting as a service account: admins only."""
    require(can_create_service_token, current_user)
    form = forms.ServiceTokenForm()
    secret = None
    if form.validate_on_submit():
        with action(form, field="name") as done:
            _, secret = services.create_service_token(
                actor=current_user, service_user=account_services.get_user_by_username(form.service_user.data[:60]),
                name=form.name.data, scopes=form.scopes(), rate_limit=form.rate_limit.data)
        if done:
            form = forms.ServiceTokenForm(formdata=None)
    return _shown("api/service_tokens.html", 422 if form.errors else 200, form=form, secret=secret,
                  tokens=queries.service_tokens(), revoke_form=EmptyForm())


@bp.route("/api-tokens/<id:token_id>/revoke", methods=["POST"])
def revoke(token_id: int):
    """Revoke a token at once (its owner, or an admin)."""
    token = db.session.get(ApiToken, token_id)
    require(can_revoke_api_token, current_user, token)  # a missing token fails this too (403)
    form = EmptyForm()
    if form.validate_on_submit():
        with action() as done:
            services.revoke_token(token, actor=current_user)
        if done:
            from flask import flash

            flash(f"The token “{token.name}” is revoked.", "success")
    target = "api_tokens.personal_tokens" if token.kind == "personal" and token.user_id == current_user.id \
        else "api_tokens.service_tokens"
    return redirect(url_for(target))
