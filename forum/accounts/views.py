"""Registration, email verification, login, logout, password reset, profiles, settings."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from forum.accounts import bp, forms, queries, services
from forum.actions import action
from forum.extensions import limiter
from forum.forms import EmptyForm
from forum.permissions import can_edit_settings, require
from forum.web import safe_next


def _auth_limit() -> str:
    return current_app.config["RATELIMIT_AUTH"]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def register():
    """Create an account and mail a verification link."""
    if current_user.is_authenticated:
        return redirect(url_for("topics.index"))
    form = forms.RegisterForm()
    if form.validate_on_submit():
        with action(form, field="username",
                    integrity_message="That username or email address is already registered.") as done:
            user = services.create_user(username=form.username.data, email=form.email.data, password=form.password.data)
            services.send_verification_mail(user)
        if done:
            login_user(user)
            flash("Welcome! We have sent you an email: follow its link to confirm your address and start posting.", "success")
            return redirect(url_for("topics.index"))
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
def login():
    """Sign in with username or email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("topics.index"))
    form = forms.LoginForm()
    status = 200
    if form.validate_on_submit():
        user = services.authenticate(form.login.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
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
        logout_user()
        flash("You are signed out.", "info")
        return redirect(url_for("topics.index"))
    return render_template("accounts/logout.html", form=form)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
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
    """The signed-in member's display name and notification email preference."""
    require(can_edit_settings, current_user)
    form = forms.SettingsForm(obj=current_user if request.method == "GET" else None)
    if form.validate_on_submit():
        with action(form, field="display_name") as done:
            services.update_settings(current_user, display_name=form.display_name.data,
                                     email_notifications=form.email_notifications.data)
        if done:
            flash("Your settings are saved.", "success")
            return redirect(url_for("accounts.settings"))
    return render_template("accounts/settings.html", form=form), 422 if form.errors else 200
