"""Writing to the public moderation log. Every staff action goes through
:func:`log_action`; entries are append-only (see ``forum.models.moderation``)."""

from __future__ import annotations

from forum.extensions import db
from forum.models import ModerationLogEntry, User


class ReasonRequired(ValueError):
    """Every moderation action needs a reason."""

    def __init__(self, message: str = "A reason is required for every moderation action."):
        super().__init__(message)


def log_action(
    actor: User | None,
    action: str,
    *,
    target_type: str,
    target_id: int | None,
    reason: str,
    subject_user: User | None = None,
    topic_id: int | None = None,
    summary: str = "",
    automatic: bool = False,
) -> ModerationLogEntry:
    """Record one action. ``actor`` is ``None`` for automatic and command-line actions."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    entry = ModerationLogEntry(
        actor_id=actor.id if actor is not None else None,
        actor_role=actor.role if actor is not None else None,
        is_automatic=automatic,
        action=action,
        target_type=target_type,
        target_id=target_id,
        subject_user_id=subject_user.id if subject_user is not None else None,
        topic_id=topic_id,
        reason=reason,
        summary=summary,
    )
    db.session.add(entry)
    db.session.flush()
    return entry
