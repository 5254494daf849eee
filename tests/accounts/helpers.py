"""Plain helpers for the account and admin tests (fixtures live in conftest.py)."""

from __future__ import annotations

import re
import time
from html import unescape

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from forum.accounts import services
from forum.extensions import db
from forum.models import User
from tests.conftest import csrf_token, read_outbox

STRONG = "Plenty-long-Passphrase-7"

_LINK_RE = re.compile(r"http://localhost(/(?:verify|reset)/[A-Za-z0-9_.\-]+)")
_ERRORS_RE = re.compile(r'<ul class="errors" id="([^"]+)-error">(.*?)</ul>', re.S)
_FLASH_RE = re.compile(r'<p class="flash flash-[a-z]+">(.*?)</p>', re.S)


def cheap_scrypt(password: str) -> str:
    """Still Werkzeug scrypt, with a tiny work factor: the real one costs ~70 ms."""
    return generate_password_hash(password, method="scrypt:1024:8:1")


def text(resp) -> str:
    return resp.get_data(as_text=True)


def register(
    client, username: str, email: str | None = None, password: str = STRONG, confirm: str | None = None, **extra
):
    """Submit the registration form as a browser would (fetching a CSRF token first)."""
    data = {
        "username": username,
        "email": email if email is not None else "someone@example.com",
        "password": password,
        "confirm": password if confirm is None else confirm,
        "csrf_token": csrf_token(client, "/register"),
    }
    data.update(extra)
    return client.post("/register", data={k: v for k, v in data.items() if v is not None})


def field_errors(resp) -> dict[str, list[str]]:
    """Errors shown under each field: ``{"username": ["That username is taken."]}``."""
    out = {}
    for field, items in _ERRORS_RE.findall(text(resp)):
        out[field] = [unescape(m) for m in re.findall(r"<li>(.*?)</li>", items, re.S)]
    return out


def flashes(resp) -> list[str]:
    return [unescape(m) for m in _FLASH_RE.findall(text(resp))]


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def get_user(app, username: str) -> User | None:
    """A detached copy of the user row, looked up by exact stored username."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None:
            db.session.expunge(user)
        return user


def mail_links(app) -> list[str]:
    """Site paths of the verify/reset links in the outbox, oldest mail first."""
    links = []
    for msg in read_outbox(app):
        links.extend(_LINK_RE.findall(msg.get_content()))
    return links


def signed_in_as(client) -> str | None:
    """The username in the page header, or None when the header offers "Sign in"."""
    nav = re.search(r'<nav aria-label="Account"[^>]*>(.*?)</nav>', text(client.get("/")), re.S)
    assert nav, "no account navigation in the page header"
    if "Sign out</button>" not in nav.group(1):
        return None
    # the account menu's summary names the member (templates/base.html)
    match = re.search(r'<span class="menu-label-wide">([^<]+)</span>', nav.group(1))
    return unescape(match.group(1)) if match else None


def make_token(app, kind: str, username: str, *, age: int = 0) -> str:
    """A real verify/reset token for ``username``, signed ``age`` seconds ago."""
    real_time = time.time
    with app.app_context(), pytest.MonkeyPatch.context() as mp:
        if age:
            mp.setattr(TimestampSigner, "get_timestamp", lambda self: int(real_time()) - age)
        user = db.session.query(User).filter_by(username=username).one()
        return services.make_verify_token(user) if kind == "verify" else services.make_reset_token(user)


def logout(client):
    """Sign out with the CSRF token of the sign-out button."""
    return client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})


def any_csrf_token(client) -> str:
    """A CSRF token for the client's session (signed in or not), from a page that
    always has a form. The token is per session, not per form."""
    return csrf_token(client, "/reset")
