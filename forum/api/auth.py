"""Who is calling the API: ``Authorization: Bearer <token>``, never a cookie.

:func:`authenticate` runs before every API view. A request without the header is a
visitor (it may read what visitors read); a header with an unknown, revoked or
malformed token, or a token whose user is gone, is refused with 401 whatever the
endpoint. The token's user becomes Flask-Login's ``current_user`` for this request
only (nothing is put in a session, no cookie is set), so services and predicates see
the same user the pages would. :func:`need` checks a scope and a predicate, the one
set of rules (``forum/permissions.py``). Every request is counted against a rate
limit (the token's own, else ``API_RATE_LIMIT``; visitors by address,
``API_ANON_RATE_LIMIT``) in Flask-Limiter's storage."""

from __future__ import annotations

from flask import current_app, g, request
from flask_login import AnonymousUserMixin
from limits import parse
from sqlalchemy import select

from forum.api import services
from forum.api.errors import ApiError
from forum.extensions import db, limiter
from forum.models import ApiToken, User


class Visitor(AnonymousUserMixin):
    """A caller without a token."""


def _bearer() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        raise ApiError(401, "unauthorized", "Send the token as: Authorization: Bearer <token>.")
    return value


def _load_token(secret: str) -> ApiToken:
    if len(secret) > services.TOKEN_MAX or not secret.isascii() or not secret.startswith(services.TOKEN_PREFIX):
        raise ApiError(401, "unauthorized", "That token is not valid.")
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == services.hash_secret(secret)))
    if token is None or token.revoked_at is not None:
        raise ApiError(401, "unauthorized", "That token is not valid or was revoked.")
    user = db.session.get(User, token.user_id)
    if user is None or user.is_deleted:
        raise ApiError(401, "unauthorized", "That token's account no longer exists.")
    if token.kind == "personal" and not user.is_staff:  # personal tokens are for staff (a role change ends them)
        raise ApiError(401, "unauthorized", "Personal tokens work only while their owner is staff.")
    return token


def _rate_limit(token: ApiToken | None) -> None:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    if token is not None:
        rate, key = token.rate_limit or current_app.config["API_RATE_LIMIT"], f"token:{token.id}"
    else:
        rate, key = current_app.config["API_ANON_RATE_LIMIT"], f"addr:{request.remote_addr}"
    item = parse(rate)
    strategy = limiter.limiter
    if not strategy.hit(item, "forum-api", key):
        reset = int(strategy.get_window_stats(item, "forum-api", key).reset_time)
        raise ApiError(429, "rate_limited", f"Too many requests: this token may make {rate}. Try again shortly.",
                       headers={"Retry-After": str(max(1, reset - int(__import__("time").time())))})


def authenticate() -> None:
    """The API's ``before_request``: the caller, the rate limit, then the view."""
    g.api_token = None
    secret = _bearer()
    if secret is None:
        user = Visitor()
    else:
        token = _load_token(secret)
        user = db.session.get(User, token.user_id)
        g.api_token = token
    # Flask-Login's per-request user: the pages' predicates and services see this one.
    g._login_user = user
    _rate_limit(g.api_token)
    if g.api_token is not None:
        services.touch_token(g.api_token)


def caller():
    """The user the request acts as (a :class:`Visitor` without a token)."""
    return g._login_user


def need(scope: str, predicate=None, obj=None, *, hide: bool = False) -> None:
    """Refuse unless the token has ``scope`` and ``predicate(caller, obj)`` holds.

    No token: 401 (for anything a visitor may not do). A token without the scope:
    403 ``insufficient_scope``. A predicate that fails: 403, or 404 with ``hide``
    (where the pages answer 404 so that ids leak nothing)."""
    token = g.get("api_token")
    user = caller()
    if token is None:
        if predicate is not None and scope == "read" and predicate(user, obj):
            return
        raise ApiError(401, "unauthorized", "This needs an API token (Authorization: Bearer).")
    if scope not in token.scope_set:
        raise ApiError(403, "insufficient_scope", f"This token does not have the {scope!r} scope.")
    if predicate is not None and not predicate(user, obj):
        if hide:
            raise ApiError(404, "not_found", "Not found.")
        raise ApiError(403, "forbidden", "Your account may not do this.")
