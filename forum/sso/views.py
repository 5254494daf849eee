"""The sign-in flow: the button (POST) starts it, the provider sends the member back to
the callback, and a first sign-in ends on the "create or link an account" page."""

from __future__ import annotations

import logging
import time

import requests
from authlib.integrations.base_client import OAuthError
from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user
from joserfc.errors import JoseError

from forum.accounts import throttle
from forum.actions import action
from forum.extensions import limiter
from forum.sso import bp, forms, providers, services
from forum.web import safe_next

log = logging.getLogger(__name__)

_PENDING = "sso_pending"
_NEXT = "sso_next"
#: The longest ``code`` or ``state`` accepted back from a provider.
_PARAM_MAX = 2048


def _auth_limit() -> str:
    return current_app.config["RATELIMIT_AUTH"]


def _refuse(provider, message: str, status: int = 400):
    return render_template("sso/error.html", provider=provider, message=message), status


def _finish_sign_in(provider, identity, sign_in, *, form=None, field=None):
    """Run ``sign_in()`` (it finds, links or creates the account and opens the session)
    in one transaction; then sign in with Flask-Login and go on. ``None`` when the
    account is not known yet; a refusal page (or the form's errors) otherwise."""
    with action(form, field=field, quiet=form is None) as done:
        user = sign_in()
    if not done:
        return _refuse(provider, done.error.message, done.error.status) if form is None else False
    if user is None:
        return None
    session.pop(_PENDING, None)
    nxt = session.pop(_NEXT, None) or url_for("topics.index")
    login_user(user, remember=False)
    if getattr(user, "two_factor_pending", False):
        return redirect(url_for("accounts.two_factor_code", next=nxt))
    return redirect(nxt)


@bp.route("/<name>/start")
@limiter.limit(_auth_limit)
def start(name: str):
    """Send the member to the provider (state, nonce and PKCE verifier kept in the session).

    A GET link, not a form: the pages' CSP says ``form-action 'self'``, which browsers
    apply to a form's redirect as well, so a POST could not go on to the provider. The
    session (the first cookie) is created here, when the member follows the link; the
    flow signs nobody in by itself (the callback needs this browser's state)."""
    provider = providers.get_or_404(name)
    if current_user.is_authenticated:
        return redirect(url_for("topics.index"))
    try:
        providers.load_metadata(provider)
        client = providers.client(provider)
        response = client.authorize_redirect(url_for("sso.callback", name=provider.name, _external=True))
    except (requests.RequestException, ValueError, KeyError, RuntimeError):
        log.warning("OIDC provider %s unreachable or misconfigured", provider.name, exc_info=True)
        return _refuse(provider, f"{provider.label} cannot be reached just now. Try again in a few minutes.", 502)
    session[_NEXT] = safe_next("") or None
    session.pop(_PENDING, None)
    return response


def _bad_params() -> bool:
    for key in ("code", "state"):
        values = request.args.getlist(key)
        if len(values) != 1:
            return True
        value = values[0]
        if not value or len(value) > _PARAM_MAX or not value.isascii() or not value.isprintable():
            return True
    return False


@bp.route("/<name>/callback")
@limiter.limit(_auth_limit)
def callback(name: str):
    """The provider's answer: check it (state, code, ID token), then sign in or ask."""
    provider = providers.get_or_404(name)
    if request.args.get("error"):
        # access_denied (the member said no), login_required, or a provider fault.
        return _refuse(provider, f"Signing in with {provider.label} was cancelled or refused. Nothing has changed.")
    if _bad_params():
        return _refuse(provider, "That sign-in link is not complete or not valid. Start again from the sign-in page.")
    try:
        token = providers.client(provider).authorize_access_token()
    except OAuthError as exc:
        log.info("OIDC %s: %s", provider.name, exc)
        return _refuse(provider, f"That sign-in with {provider.label} could not be checked (it may have expired, or "
                                 "been started in another browser). Start again from the sign-in page.")
    except (JoseError, ValueError, KeyError) as exc:
        log.warning("OIDC %s: ID token refused: %r", provider.name, exc)
        return _refuse(provider, f"{provider.label} sent an answer we could not verify. Nothing has changed.")
    except requests.RequestException:
        log.warning("OIDC %s: token endpoint unreachable", provider.name, exc_info=True)
        return _refuse(provider, f"{provider.label} cannot be reached just now. Try again in a few minutes.", 502)
    claims = token.get("userinfo")
    if not claims:
        return _refuse(provider, f"{provider.label} did not send an ID token. Nothing has changed.")
    try:
        identity = services.identity_from_claims(provider, claims)
    except services.SsoError as exc:
        return _refuse(provider, exc.message)
    if current_user.is_authenticated:
        return redirect(url_for("topics.index"))
    answer = _finish_sign_in(provider, identity, lambda: services.sign_in_known(identity, provider))
    if answer is not None:
        return answer
    session[_PENDING] = {"identity": identity.to_dict(), "exp": time.time() + _flow_seconds()}
    return redirect(url_for("sso.finish", name=provider.name))


def _flow_seconds() -> int:
    return int(current_app.config.get("OIDC_FLOW_SECONDS", 600))


def _pending_identity(provider):
    data = session.get(_PENDING)
    if not isinstance(data, dict) or not isinstance(data.get("exp"), int | float) or data["exp"] < time.time():
        return None
    identity = services.Identity.from_dict(data.get("identity") or {})
    if identity is None or identity.provider != provider.name:
        return None
    return identity


def _finish_page(provider, identity, new_form, link_form, status=200):
    return render_template("sso/finish.html", provider=provider, identity=identity, new_form=new_form,
                           link_form=link_form), status


@bp.route("/<name>/finish")
def finish(name: str):
    """First sign-in: create a forum account or link an existing one."""
    provider = providers.get_or_404(name)
    identity = _pending_identity(provider)
    if identity is None:
        return _refuse(provider, "That sign-in has expired. Start again from the sign-in page.")
    new_form = forms.NewAccountForm(username=identity.suggested_username or None)
    return _finish_page(provider, identity, new_form, forms.LinkAccountForm())


@bp.route("/<name>/finish/new", methods=["POST"])
@limiter.limit(_auth_limit)
def finish_new(name: str):
    """Create the account with the username the member chose, then sign in."""
    provider = providers.get_or_404(name)
    identity = _pending_identity(provider)
    if identity is None:
        return _refuse(provider, "That sign-in has expired. Start again from the sign-in page.")
    form = forms.NewAccountForm()
    if form.validate_on_submit():
        answer = _finish_sign_in(provider, identity, form=form, field="username", sign_in=lambda: services.sign_in_new(
            identity, provider, username=form.username.data))
        if answer:
            return answer
    elif form.csrf_token.errors:
        abort(400)
    return _finish_page(provider, identity, form, forms.LinkAccountForm(formdata=None), 422)


@bp.route("/<name>/finish/link", methods=["POST"])
@limiter.limit(_auth_limit)
@limiter.limit(throttle.login_account_limit, key_func=throttle.login_account_key,
               deduct_when=throttle.failed_sign_in, on_breach=throttle.login_account_breached)
def finish_link(name: str):
    """Link an existing account, proved by its password, then sign in."""
    provider = providers.get_or_404(name)
    identity = _pending_identity(provider)
    if identity is None:
        return _refuse(provider, "That sign-in has expired. Start again from the sign-in page.")
    form = forms.LinkAccountForm()
    if form.validate_on_submit():
        answer = _finish_sign_in(provider, identity, form=form, field="password", sign_in=lambda: services.sign_in_linking(
            identity, provider, login=form.login.data, password=form.password.data))
        if answer:
            return answer
    elif form.csrf_token.errors:
        abort(400)
    new_form = forms.NewAccountForm(formdata=None, username=identity.suggested_username or None)
    return _finish_page(provider, identity, new_form, form, 422)


def sso_buttons() -> list:
    """The providers for the sign-in page's buttons (a template global)."""
    try:
        return providers.configured()
    except ValueError:
        log.exception("OIDC settings are not valid")
        return []


bp.add_app_template_global(sso_buttons, "sso_providers")
