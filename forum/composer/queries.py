"""Read-side selects for the composer: @mention suggestions."""

from __future__ import annotations

from sqlalchemy import select

from forum.accounts.validation import username_key
from forum.extensions import db
from forum.models import User

#: Most names suggested for one prefix.
SUGGESTIONS_MAX = 8


def suggest_usernames(prefix: str, *, limit: int = SUGGESTIONS_MAX) -> list[dict[str, str]]:
    """Verified, not deleted members whose username starts with ``prefix`` (any case),
    first by name: ``[{"username", "name"}]``. The prefix is matched with LIKE, its
    ``%`` and ``_`` escaped; at most ``limit`` rows."""
    key = username_key(prefix)
    rows = db.session.execute(
        select(User.username, User.display_name)
        .where(User.username_key.startswith(key, autoescape=True))
        .where(User.deleted_at.is_(None), User.email_verified_at.is_not(None))
        .order_by(User.username_key)
        .limit(limit)
    )
    return [{"username": u, "name": d or u} for u, d in rows]
