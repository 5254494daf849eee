"""Two-factor pages: the code after the password, enrolment (QR code and the
``otpauth://`` URI), turning it off, and the gate that keeps a half-signed-in session
to these pages (forum.accounts.two_factor)."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from forum.accounts import bp, forms, sessions, throttle, two_factor
from forum.actions import action, json_error, wants_json
from forum.extensions import limiter, login_manager
from forum.permissions import can_edit_settings, require
from forum.web import safe_next

#: What a session whose second step is still to pass may reach.
ALLOWED_WHILE_PENDING = frozenset({
    "accounts.two_factor_code", "accounts.two_factor_setup", "accounts.logout", "static", "brand_css",
})

PENDING_MESSAGE = "Finish signing in first: enter the code from your authenticator app."


def _auth_limit() -> str:
    return current_app.config["RATELIMIT_AUTH"]


def _code_limits(view):
    """Per IP and per account (wrong codes only), like the sign-in form."""
    view = limiter.limit(throttle.two_factor_account_limit, key_func=throttle.two_factor_account_key,
                         methods=["POST"], deduct_when=throttle.failed_sign_in,
                         on_breach=throttle.two_factor_breached)(view)
    return limiter.limit(_auth_limit, methods=["POST"])(view)


def _pending() -> bool:
    return bool(current_user.is_authenticated and getattr(current_user, "two_factor_pending", False))


@bp.before_app_request
def _second_step_gate():
    """A session that has not passed its second step reaches nothing but the two-factor
    pages and sign-out: every other page or action goes to the code (or enrolment) page."""
    endpoint = request.endpoint or ""
    if endpoint in ALLOWED_WHILE_PENDING or endpoint.startswith("health."):
        return None
    if not _pending():
        return None
    if wants_json():
        return json_error(PENDING_MESSAGE, 401)
    target = "accounts.two_factor_code" if two_factor.is_enrolled(current_user) else "accounts.two_factor_setup"
    next_url = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for(target, next=next_url))


def _next_args() -> dict:
    nxt = safe_next("")
    return {"next": nxt} if nxt else {}


@bp.route("/login/code", methods=["GET", "POST"])
@_code_limits
def two_factor_code():
    """The second step of a sign-in: a code from the app, or a recovery code."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not _pending():
        return redirect(safe_next(url_for("topics.index")))
    if not two_factor.is_enrolled(current_user):
        return redirect(url_for("accounts.two_factor_setup", **_next_args()))
    form = forms.TwoFactorCodeForm()
    if form.validate_on_submit():
        with action(form, field="code") as done:
            kind = two_factor.verify_second_step(current_user, form.code.data, session_id=sessions.current_session_id())
        if done:
            if kind == "recovery":
                left = two_factor.recovery_codes_left(current_user)
                flash(f"You signed in with a recovery code; {left} left. Each works once: set up your app again "
                      "from your settings if you lost it.", "info")
            return redirect(safe_next(url_for("topics.index")))
    return render_template("accounts/two_factor_code.html", form=form), 422 if form.errors else 200


@bp.route("/settings/two-factor", methods=["GET", "POST"])
@_code_limits
def two_factor_setup():
    """Turn on two-factor sign-in: scan the QR code (or type the key), confirm one code."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    pending = _pending()
    if two_factor.is_enrolled(current_user):
        if pending:
            return redirect(url_for("accounts.two_factor_code", **_next_args()))
        flash("Two-factor sign-in is already on for your account.", "info")
        return redirect(url_for("accounts.settings"))
    if not pending:
        require(can_edit_settings, current_user)
    session_id = sessions.current_session_id()
    secret = two_factor.enrolment_secret(current_user, session_id)
    uri = two_factor.provisioning_uri(current_user, secret)
    form = forms.TwoFactorCodeForm()
    if form.validate_on_submit():
        with action(form, field="code") as done:
            codes = two_factor.confirm_enrolment(current_user, secret=secret, code=form.code.data, session_id=session_id)
        if done:
            html = render_template("accounts/two_factor_recovery.html", codes=codes,
                                   next_url=safe_next(url_for("topics.index")))
            return html, 200, {"Cache-Control": "no-store"}
    return render_template(
        "accounts/two_factor_setup.html", form=form, uri=uri, secret=secret, qr=two_factor.qr_code_data_uri(uri),
        required=two_factor.required_for(current_user), pending=pending,
    ), 422 if form.errors else 200, {"Cache-Control": "no-store"}


@bp.route("/settings/two-factor/disable", methods=["POST"])
@_code_limits
def two_factor_disable():
    """A member turns two-factor sign-in off (with a current code)."""
    require(can_edit_settings, current_user)
    form = forms.TwoFactorCodeForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash("Enter a code from your app to turn two-factor sign-in off.", "error")
        return redirect(url_for("accounts.settings"))
    with action(form, field="code", quiet=True) as done:
        two_factor.disable(current_user, code=form.code.data)
    if done:
        flash("Two-factor sign-in is off for your account.", "success")
        return redirect(url_for("accounts.settings"))
    flash(done.error.message, "error")
    return redirect(url_for("accounts.settings"))


def two_factor_status(user) -> dict:
    """For the settings page's section (a template global)."""
    on = two_factor.is_enrolled(user)
    return {"on": on, "required": two_factor.required_for(user),
            "recovery_left": two_factor.recovery_codes_left(user) if on else 0,
            "form": forms.TwoFactorCodeForm()}


bp.add_app_template_global(two_factor_status, "two_factor_status")
