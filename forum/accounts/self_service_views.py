"""Account self-service pages, linked from /settings: change email, export my data,
delete my account (forum.accounts.self_service). HTTP only."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, logout_user

from forum.accounts import bp, self_service
from forum.accounts import self_service_forms as forms
from forum.accounts.services import TokenError
from forum.actions import action
from forum.extensions import limiter
from forum.forms import EmptyForm
from forum.permissions import can_delete_own_account, can_edit_settings, require


def _changes_limit() -> str:
    return current_app.config["RATELIMIT_ACCOUNT_CHANGES"]


def _changes_key() -> str:
    """Per account (each of these pages asks the password), else per address."""
    if current_user.is_authenticated:
        return f"account-changes:{current_user.id}"
    return f"account-changes-ip:{request.remote_addr}"


_throttled = limiter.limit(_changes_limit, key_func=_changes_key, methods=["POST"])


@bp.route("/settings/email", methods=["GET", "POST"])
@_throttled
def change_email():
    """Ask to change the email address: a link goes to the new one, a notice to the old."""
    require(can_edit_settings, current_user)
    form = forms.ChangeEmailForm()
    if form.validate_on_submit():
        with action(form, field="email") as done:
            self_service.request_email_change(current_user, password=form.current_password.data,
                                              new_email=form.email.data)
        if done:
            # The same words whether or not the address already has an account.
            flash("Check the inbox of the new address: follow the link we sent there to finish the change. "
                  "Until then your account keeps its current address.", "success")
            return redirect(url_for("accounts.settings"))
    return render_template("accounts/change_email.html", form=form,
                           current=self_service.mask_email(current_user.email)), 422 if form.errors else 200


@bp.route("/settings/email/confirm/<token>", methods=["GET", "POST"])
@_throttled
def confirm_email_change(token: str):
    """From the link sent to the new address: a page with a button (GET writes nothing)."""
    try:  # a read
        user, new = self_service.email_change_for_token(token[:1000])
    except TokenError as exc:
        return render_template("accounts/verify_failed.html", message=exc.message), exc.status
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("accounts/verify_failed.html",
                                   message="The form expired. Open the link from the email again."), 400
        with action(quiet=True) as done:
            self_service.confirm_email_change(token[:1000])
        if not done:
            return render_template("accounts/verify_failed.html", message=done.error.message), done.error.status
        flash("Your email address is changed.", "success")
        if current_user.is_authenticated and current_user.id == user.id:
            return redirect(url_for("accounts.settings"))
        return redirect(url_for("accounts.login"))
    return render_template("accounts/confirm_email_change.html", form=form, new_email=new)


@bp.route("/settings/export", methods=["GET", "POST"])
@_throttled
def export_data():
    """Download a copy of everything the forum holds about the member (JSON)."""
    require(can_edit_settings, current_user)
    form = forms.ExportForm()
    if form.validate_on_submit():
        with action(form, field="current_password") as done:
            data = self_service.start_export(current_user, password=form.current_password.data)
        if done:
            body = json.dumps(data, ensure_ascii=False, indent=2)
            stamp = datetime.now(UTC).strftime("%Y-%m-%d")
            resp = current_app.response_class(body, mimetype="application/json")
            resp.headers["Content-Disposition"] = f'attachment; filename="forum-data-{stamp}.json"'
            resp.headers["Cache-Control"] = "private, no-store"
            return resp
    return render_template("accounts/export.html", form=form), 422 if form.errors else 200


@bp.route("/settings/delete", methods=["GET", "POST"])
@_throttled
def delete_account():
    """Delete the account for good (posts stay, shown as "a former member")."""
    require(can_edit_settings, current_user)
    form = forms.DeleteAccountForm()
    allowed = can_delete_own_account(current_user, current_user)
    status = 200 if allowed else 403
    if form.validate_on_submit():
        with action(form, field="current_password") as done:
            self_service.delete_account(current_user, password=form.current_password.data)
        if done:
            logout_user()
            flash("Your account is deleted. Your posts stay on the forum as by “a former member”. Goodbye!", "info")
            return redirect(url_for("topics.index"))
        status = done.error.status if done.error and done.error.status != 400 else 422
    elif form.errors:
        status = 422
    return render_template("accounts/delete_account.html", form=form, allowed=allowed), status
