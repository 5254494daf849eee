"""Throttles for sign-in, password reset and registration (Flask-Limiter).

Two budgets on each:

* per IP (``RATELIMIT_AUTH``), as before;
* per account, whatever the address: failed sign-ins for one username or email
  (``RATELIMIT_LOGIN_ACCOUNT``, several windows, so the wait grows: a short pause
  after a few failures, a longer one after more), reset mails for one address
  (``RATELIMIT_RESET_ACCOUNT``) and registrations for one address
  (``RATELIMIT_REGISTER_EMAIL``). Attackers spreading guesses over many addresses
  hit the account budget; the member is told by email, once per hour.

Counts live in Flask-Limiter's storage: Redis when ``FORUM_REDIS_URL`` (or
``FORUM_RATELIMIT_STORAGE_URI``) is set, else memory, which is per process. With
more than one worker and the memory store every budget is multiplied by the number of
workers; :func:`warn_if_per_process` says so at start-up (docs/deploy.md).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shlex
import sys
from datetime import UTC, datetime

from flask import Flask, current_app, render_template, request
from flask_limiter import RequestLimit

from forum.accounts.validation import email_key, username_key
from forum.actions import action
from forum.extensions import cache

log = logging.getLogger(__name__)


def _digest(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.encode('utf-8', 'surrogatepass')).hexdigest()[:32]}"


def login_account_key() -> str:
    """The account a sign-in names, by username or email alike (one lookup); a login
    that names no account is counted under its normalised text."""
    from forum.accounts.services import find_user_by_login

    login = str(request.form.get("login", ""))[:254].strip()
    user = find_user_by_login(login)
    if user is not None:
        return f"login-account:{user.id}"
    return _digest("login-name", email_key(login) if "@" in login else username_key(login))


def reset_account_key() -> str:
    return _digest("reset-account", email_key(str(request.form.get("email", ""))[:254]))


def register_email_key() -> str:
    return _digest("register-email", email_key(str(request.form.get("email", ""))[:254]))


def login_account_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_ACCOUNT"]


def reset_account_limit() -> str:
    return current_app.config["RATELIMIT_RESET_ACCOUNT"]


def register_email_limit() -> str:
    return current_app.config["RATELIMIT_REGISTER_EMAIL"]


def failed_sign_in(response) -> bool:
    """Only failed sign-ins count against an account (the form comes back, 422)."""
    return response.status_code == 422


def _wait_words(limit: RequestLimit) -> str:
    reset_at = datetime.fromtimestamp(limit.reset_at, UTC)
    minutes = max(1, -(-int((reset_at - datetime.now(UTC)).total_seconds()) // 60))
    return f"at {reset_at:%H:%M} UTC (in about {minutes} minute{'s' if minutes != 1 else ''})"


def login_account_breached(limit: RequestLimit):
    """Too many failed sign-ins for one account: the sign-in page with a 429 that says
    when to try again, and (once an hour) an email to the account's owner."""
    from forum.accounts import forms

    _notify_owner(request.form.get("login", ""))
    form = forms.LoginForm()
    form.login.errors = [f"Too many failed sign-ins for this account. Try again {_wait_words(limit)}, "
                         "or reset your password."]
    html = render_template("accounts/login.html", form=form)
    return current_app.response_class(html, status=429, headers={"Retry-After": str(_retry_after(limit))})


def _retry_after(limit: RequestLimit) -> int:
    return max(1, int(limit.reset_at - datetime.now(UTC).timestamp()))


def _notify_owner(login: str) -> None:
    from forum.accounts import services
    from forum.mail import queue_mail

    user = services.find_user_by_login(str(login)[:254])
    if user is None or not cache.add(f"login-throttle-notice:{user.id}", 1, timeout=3600):
        return
    brand = current_app.config["BRAND_NAME"]
    with action(quiet=True):
        queue_mail(
            user.email,
            f"Sign-in attempts on your {brand} account",
            f"Hello {user.username},\n\nThere were many failed attempts to sign in to your {brand} account, so "
            "sign-ins to it are paused for a while. If that was you, wait a little and try again, or reset your "
            "password. If it was not, your account is safe as long as your password is strong and not used "
            "elsewhere; you can change it from your settings.\n",
        )


def worker_count() -> int:
    """How many worker processes serve the app, as far as we can tell: gunicorn's
    ``-w``/``--workers`` (or ``WEB_CONCURRENCY``), else ``FORUM_WORKERS``, else 1."""
    for name in ("FORUM_WORKERS", "WEB_CONCURRENCY"):
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    args = sys.argv[1:]
    extra = shlex.split(os.environ.get("GUNICORN_CMD_ARGS", ""))
    for argv in (args, extra):
        for i, arg in enumerate(argv):
            if arg in ("-w", "--workers") and i + 1 < len(argv) and argv[i + 1].isdigit():
                return int(argv[i + 1])
            if arg.startswith("--workers=") and arg.split("=", 1)[1].isdigit():
                return int(arg.split("=", 1)[1])
            if arg.startswith("-w") and arg[2:].isdigit():
                return int(arg[2:])
    return 1


def warn_if_per_process(app: Flask) -> bool:
    """Log a warning when limits are counted in memory but more than one process serves
    the app: each worker then counts on its own and every limit is multiplied."""
    storage = str(app.config.get("RATELIMIT_STORAGE_URI", "memory://"))
    workers = worker_count()
    if app.config.get("RATELIMIT_ENABLED", True) and storage.startswith("memory://") and workers > 1:
        app.logger.warning(
            "Rate limits are counted in memory, per process, but %d workers serve the forum: every limit "
            "(sign-in, reset, registration, posting) is %d times looser than configured. Set FORUM_REDIS_URL "
            "(see docs/deploy.md).", workers, workers)
        return True
    return False


# --- two-factor codes ------------------------------------------------------------------


def two_factor_account_key() -> str:
    """Wrong codes count against the account being signed in to, whatever the address."""
    from flask_login import current_user

    if current_user.is_authenticated:
        return f"two-factor-account:{current_user.id}"
    return f"two-factor-anonymous:{request.remote_addr}"


def two_factor_account_limit() -> str:
    return current_app.config["RATELIMIT_TWO_FACTOR_ACCOUNT"]


def two_factor_breached(limit: RequestLimit):
    """Too many wrong codes for one account: the code page with a 429 and when to retry."""
    from forum.accounts import forms

    form = forms.TwoFactorCodeForm()
    form.code.errors = [f"Too many wrong codes for this account. Try again {_wait_words(limit)}."]
    html = render_template("accounts/two_factor_code.html", form=form)
    return current_app.response_class(html, status=429, headers={"Retry-After": str(_retry_after(limit))})
