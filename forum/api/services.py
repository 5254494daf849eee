"""API token writes: create, revoke, and the last-used time. Services flush; the
caller commits (the token pages through ``forum.actions.action``).

A token is ``fapi_`` followed by 43 URL-safe characters (256 random bits, from
:mod:`secrets`). Only its SHA-256 is stored (``ApiToken.token_hash``); the secret
itself is returned once, to be shown once, and can never be read back."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from limits import parse
from sqlalchemy import or_, update

from forum.actions import ActionError, Conflict, PermissionDenied
from forum.extensions import db
from forum.models import API_SCOPES, ApiToken, User
from forum.models.base import utcnow
from forum.permissions import can_create_personal_token, can_create_service_token, can_revoke_api_token
from forum.text import clean_line

TOKEN_PREFIX = "fapi_"  # noqa: S105 - the public prefix of every token, not a secret
#: Longest value accepted in an ``Authorization: Bearer`` header.
TOKEN_MAX = 100
NAME_MAX = 80


class TokenError(ActionError):
    """A refused token write."""


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def clean_scopes(scopes) -> str:
    chosen = [s for s in API_SCOPES if s in set(scopes or ())]
    if not chosen:
        raise TokenError("Choose at least one scope.", field="scopes")
    unknown = set(scopes) - set(API_SCOPES)
    if unknown:
        raise TokenError("Scopes are read, write and staff.", field="scopes")
    return " ".join(chosen)


def clean_rate_limit(raw: str | None) -> str:
    """A Flask-Limiter rate ("120/minute"), or empty for the default."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        parse(raw)
    except ValueError as exc:
        raise TokenError('Write a rate such as "120/minute" or "5000/hour".', field="rate_limit") from exc
    if len(raw) > 40 or ";" in raw or "," in raw:
        raise TokenError("One rate only, such as 120/minute.", field="rate_limit")
    return raw


def _create(*, kind: str, user: User, created_by: User, name: str, scopes, rate_limit: str | None) -> tuple[ApiToken, str]:
    name = clean_line(name, field="name", min_length=1, max_length=NAME_MAX,
                      length_message=f"Names are 1 to {NAME_MAX} characters long.", error=TokenError)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(kind=kind, name=name, user_id=user.id, created_by_id=created_by.id,
                     token_hash=hash_secret(secret), prefix=secret[:12], scopes=clean_scopes(scopes),
                     rate_limit=clean_rate_limit(rate_limit), created_at=utcnow())
    db.session.add(token)
    db.session.flush()
    return token, secret


def create_personal_token(*, user: User, name: str, scopes, rate_limit: str | None = None) -> tuple[ApiToken, str]:
    """A staff member's own token, acting as them. Returns the row and the secret (shown once)."""
    if not can_create_personal_token(user):
        raise PermissionDenied("Only staff create API tokens.")
    return _create(kind="personal", user=user, created_by=user, name=name, scopes=scopes, rate_limit=rate_limit)


def create_service_token(*, actor: User, service_user: User | None, name: str, scopes,
                         rate_limit: str | None = None) -> tuple[ApiToken, str]:
    """An integration's token, made by an admin, acting as ``service_user`` (an
    existing account, so the audit trail names it)."""
    if not can_create_service_token(actor):
        raise PermissionDenied("Only administrators create service tokens.")
    if service_user is None or service_user.is_deleted:
        raise TokenError("There is no such account.", field="service_user")
    if service_user.id == actor.id:
        raise TokenError("A service token acts as its own service account, not as you.", field="service_user")
    token, secret = _create(kind="service", user=service_user, created_by=actor, name=name, scopes=scopes,
                            rate_limit=rate_limit)
    return token, secret


def revoke_token(token: ApiToken, *, actor: User) -> bool:
    """Revoke a token at once. Returns whether anything changed."""
    if not can_revoke_api_token(actor, token):
        raise PermissionDenied("You cannot revoke this token.")
    if token.revoked_at is not None:
        raise Conflict("That token is already revoked.")
    token.revoked_at = utcnow()
    token.revoked_by_id = actor.id
    db.session.flush()
    return True


def touch_token(token: ApiToken) -> None:
    """Write ``last_used_at`` at most once per ``API_TOUCH_SECONDS``, in a short
    transaction of its own (never inside the request's, which may be a GET)."""
    from datetime import timedelta

    now = utcnow()
    before = now - timedelta(seconds=int(current_app.config["API_TOUCH_SECONDS"]))
    if token.last_used_at is not None and token.last_used_at >= before:
        return
    token_id = token.id
    with db.engine.begin() as conn:
        conn.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id, or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < before))
            .values(last_used_at=now)
        )
