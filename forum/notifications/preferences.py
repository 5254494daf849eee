"""Email choices per category of notification, and the signed one-click unsubscribe
links every notification mail carries (RFC 8058).

A member's choice for a category is a row in ``email_preferences``; without one the
default of :data:`forum.notify.EMAIL_CATEGORIES` applies, so defaults can change for
everyone who never chose. An unsubscribe token names one user and one category (or
``digest``: every category the member gets in the daily digest); it is signed with the
app's secret and expires after ``FORUM_UNSUBSCRIBE_TOKEN_DAYS`` (default 180)."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import ColumnElement, and_, case, func, literal, select

from forum.actions import ActionError
from forum.extensions import db
from forum.models import EmailPreference, Notification, User
from forum.notify import EMAIL_CATEGORIES, EMAIL_MODES

DIGEST = "digest"
TOKEN_SALT = "forum-unsubscribe"  # noqa: S105 - a salt, not a secret
DEFAULT_TOKEN_DAYS = 180


class PreferenceError(ActionError):
    """A refused email choice."""


def defaults() -> dict[str, str]:
    return {category: default for category, (_label, default) in EMAIL_CATEGORIES.items()}


def modes_for(user: User | int) -> dict[str, str]:
    """Every category's mode for ``user`` (their choice, else the default). One query."""
    uid = user if isinstance(user, int) else user.id
    modes = defaults()
    for category, mode in db.session.execute(
        select(EmailPreference.category, EmailPreference.mode).where(EmailPreference.user_id == uid)
    ):
        if category in modes:
            modes[category] = mode
    return modes


def mode_column() -> ColumnElement[str]:
    """SQL for a notification's email mode: the member's choice for its category, else
    the default. Needs ``EmailPreference`` outer-joined with :func:`preference_join`."""
    default = case(
        *((Notification.category == category, literal(mode)) for category, mode in defaults().items()),
        else_=literal("off"),
    )
    return func.coalesce(EmailPreference.mode, default)


def preference_join():
    return and_(EmailPreference.user_id == Notification.user_id, EmailPreference.category == Notification.category)


def set_modes(user: User, modes: dict[str, str]) -> bool:
    """Store the member's choice for each given category. Returns whether anything changed."""
    for category, mode in modes.items():
        if category not in EMAIL_CATEGORIES:
            raise PreferenceError("Unknown kind of email.", field=category)
        if mode not in EMAIL_MODES:
            raise PreferenceError("Choose never, immediately or in the daily digest.", field=category)
    stored = {
        p.category: p
        for p in db.session.scalars(select(EmailPreference).where(EmailPreference.user_id == user.id))
    }
    current = modes_for(user.id)
    changed = False
    for category, mode in modes.items():
        if current[category] == mode and category in stored:
            continue
        if category in stored:
            stored[category].mode = mode
        else:
            db.session.add(EmailPreference(user_id=user.id, category=category, mode=mode))
        changed = changed or current[category] != mode
    db.session.flush()
    return changed


# --- one-click unsubscribe -------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def unsubscribe_token(user_id: int, kind: str) -> str:
    """A signed token that turns off ``kind`` (a category or ``digest``) for one user."""
    return _serializer().dumps([user_id, kind])


def read_unsubscribe_token(token: str) -> tuple[User, str] | None:
    """The user and kind a token names, or ``None`` when it is tampered with, expired,
    malformed or names an unknown user or kind."""
    days = float(current_app.config.get("UNSUBSCRIBE_TOKEN_DAYS", DEFAULT_TOKEN_DAYS))
    try:
        data = _serializer().loads(token[:500], max_age=int(days * 86400))
    except (BadData, ValueError, TypeError):
        return None
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], int) and isinstance(data[1], str)):
        return None
    user_id, kind = data
    if kind != DIGEST and kind not in EMAIL_CATEGORIES:
        return None
    user = db.session.get(User, user_id)
    return (user, kind) if user is not None else None


def describe(kind: str) -> str:
    """What a kind of email is, for the unsubscribe pages."""
    if kind == DIGEST:
        return "The daily digest"
    return EMAIL_CATEGORIES[kind][0]


def unsubscribe(user: User, kind: str) -> list[str]:
    """Turn off one category (or, for ``digest``, every category now in the digest).
    Returns the categories turned off; none when they already were."""
    modes = modes_for(user.id)
    if kind == DIGEST:
        targets = [c for c, mode in modes.items() if mode == "daily"]
    else:
        targets = [kind] if modes[kind] != "off" else []
    if targets:
        set_modes(user, dict.fromkeys(targets, "off"))
    return targets
