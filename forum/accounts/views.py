"""Registration, email verification, login, logout, password reset, profiles, settings."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from forum.accounts import bp, forms, queries, services, sessions, throttle
from forum.actions import action
from forum.extensions import limiter
from forum.forms import EmptyForm
from forum.permissions import can_edit_settings, can_sign_in_with_password, require
from forum.web import safe_next


def _auth_limit() -> str:
    return current_app.config["RATELIMIT_AUTH"]


def _sign_in(user, *, remember: bool) -> None:
    """Flask-Login's ``login_user`` with the token of a new, committed session row."""
    with action():
        sessions.start_session(user, remember=remember)
    login_user(user, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
@limiter.limit(throttle.register_email_limit, key_func=throttle.register_email_key, methods=["POST"])
def register():
    """Create an account and mail a verification link."""
    if current_user.is_authenticated:
        return redirect(url_for("topics.index"))
    form = forms.RegisterForm()
    if form.validate_on_submit():
        with action(form, field="username",
                    integrity_message="That username is taken. Please choose another.") as done:
            services.register_account(username=form.username.data, email=form.email.data, password=form.password.data)
        if done:
            # The same answer whether or not the address already had an account (the
            # mail says which), so the form does not tell who is a member.
            flash("Thank you! We have sent you an email: follow its link to confirm your address, then sign in "
                  "to start posting.", "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/register.html", form=form), 422 if form.errors else 200


@bp.route("/verify/<token>")
def verify(token: str):
    """Confirm an email address from the link in the verification mail."""
    with action(quiet=True) as done:
        user = services.verify_email(token[:500])
    if not done:
        return render_template("accounts/verify_failed.html", message=done.error.message), 400
    flash("Thank you, your email address is confirmed. You can now post.", "success")
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    if current_user.id != user.id:
        flash("That link was for another account.", "info")
    return redirect(url_for("topics.index"))


@bp.route("/verify/resend", methods=["POST"])
@login_required
@limiter.limit(_auth_limit)
def resend_verification():
    """Send the verification mail again."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not current_user.is_verified:
        with action():
            services.send_verification_mail(current_user)
    flash("We have sent the confirmation link again. Check your inbox.", "info")
    return redirect(safe_next(url_for("topics.index")))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
@limiter.limit(throttle.login_account_limit, key_func=throttle.login_account_key, methods=["POST"],
               deduct_when=throttle.failed_sign_in, on_breach=throttle.login_account_breached)
def login():
    """Sign in with username or email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("topics.index"))
    form = forms.LoginForm()
    status = 200
    if form.validate_on_submit():
        user = services.authenticate(form.login.data, form.password.data)
        if user is not None and not can_sign_in_with_password(user):
            # Only after the password matched, so this says nothing about who has an account
            # (nothing is committed: the request ends without one).
            form.login.errors.append("Staff accounts sign in with the corporate account: use its button below.")
            return render_template("accounts/login.html", form=form), 403
        if user is not None:
            _sign_in(user, remember=bool(form.remember.data))
            if getattr(user, "two_factor_pending", False):  # the second step: a code, or enrolment (staff)
                nxt = safe_next("")
                return redirect(url_for("accounts.two_factor_code", **({"next": nxt} if nxt else {})))
            return redirect(safe_next(url_for("topics.index")))
        # Same words whether the account exists or not.
        form.login.errors.append("That username or email and password do not match an account.")
        status = 422
    elif form.errors:
        status = 422
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """Sign out. Only a POST with a CSRF token signs out; GET shows a button."""
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if current_user.is_authenticated and sessions.current_session_id():
            with action():
                sessions.end_session(current_user, sessions.current_session_id(), reason="logout")
                sessions.record_event(current_user.id, "signed_out")
        logout_user()
        flash("You are signed out.", "info")
        return redirect(url_for("topics.index"))
    return render_template("accounts/logout.html", form=form)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
@limiter.limit(throttle.reset_account_limit, key_func=throttle.reset_account_key, methods=["POST"])
def reset_request():
    """Ask for a password-reset link."""
    form = forms.ResetRequestForm()
    if form.validate_on_submit():
        with action():
            services.request_password_reset(form.email.data)
        # Same message whether the account exists or not.
        flash("If an account uses that address, we have sent it a link to reset the password.", "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form), 422 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def reset_with_token(token: str):
    """Choose a new password from a reset link."""
    try:  # a read: nothing to commit or roll back
        services.user_for_reset_token(token[:500])
    except services.TokenError as exc:
        return render_template("accounts/verify_failed.html", message=exc.message), 400
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        with action(form, field="password") as done:
            services.reset_password(token, form.password.data)
        if done:
            flash("Your password is changed. Sign in with it now.", "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form), 422 if form.errors else 200


@bp.route("/u/<username>")
def profile(username: str):
    """A member's public profile: never shows their email."""
    user = services.get_user_by_username(username[:60])
    if user is None:
        abort(404)
    stats = queries.profile_stats(user)
    recent = queries.recent_posts(user, limit=10)
    return render_template("accounts/profile.html", user=user, stats=stats, recent=recent)


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """The signed-in member's display name, sessions and activity."""
    require(can_edit_settings, current_user)
    form = forms.SettingsForm(obj=current_user if request.method == "GET" else None)
    if form.validate_on_submit():
        with action(form, field="display_name") as done:
            services.update_settings(current_user, display_name=form.display_name.data)
        if done:
            flash("Your settings are saved.", "success")
            return redirect(url_for("accounts.settings"))
    return render_template(
        "accounts/settings.html", form=form, end_form=EmptyForm(), sessions=sessions.active_sessions(current_user),
        this_session=sessions.current_session_id(), events=sessions.recent_events(current_user),
        event_labels=sessions.EVENT_LABELS,
    ), 422 if form.errors else 200


@bp.route("/settings/sessions/<id:session_id>/end", methods=["POST"])
def end_session(session_id: int):
    """End one of the member's sessions (signs that browser out at once)."""
    require(can_edit_settings, current_user)
    if not EmptyForm().validate_on_submit():
        abort(400)
    this_one = session_id == sessions.current_session_id()
    with action() as done:
        if not sessions.end_session(current_user, session_id, reason="ended_by_member"):
            abort(404)
        sessions.record_event(current_user.id, "session_ended")
    if done and this_one:
        logout_user()
        flash("You are signed out.", "info")
        return redirect(url_for("accounts.login"))
    flash("That session is ended: the device is signed out.", "success")
    return redirect(url_for("accounts.settings"))


@bp.route("/settings/sessions/end-all", methods=["POST"])
def end_all_sessions():
    """Sign out everywhere, this browser included."""
    require(can_edit_settings, current_user)
    if not EmptyForm().validate_on_submit():
        abort(400)
    with action() as done:
        sessions.end_sessions(current_user.id, reason="signed_out_everywhere")
        sessions.record_event(current_user.id, "signed_out_everywhere")
    if done:
        logout_user()
        flash("You are signed out everywhere. Sign in again on the devices you use.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/settings/password", methods=["GET", "POST"])
def change_password():
    """Change the password; signs out every other session."""
    require(can_edit_settings, current_user)
    form = forms.ChangePasswordForm()
    if form.validate_on_submit():
        with action(form, field="password") as done:
            services.change_password(current_user, current=form.current_password.data, new=form.password.data,
                                     keep_session_id=sessions.current_session_id())
        if done:
            flash("Your password is changed. Every other device is signed out.", "success")
            return redirect(url_for("accounts.settings"))
    return render_template("accounts/change_password.html", form=form), 422 if form.errors else 200
