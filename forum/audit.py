"""Recording staff actions: the public moderation log and the member's notice.

Every staff action goes through :func:`log_action` (entries are append-only, see
``forum.models.moderation``); :func:`record_staff_action` is the usual pair of a
log entry and a notification to the member whose content or account it was.
"""

from __future__ import annotations

from forum.actions import ActionError
from forum.extensions import db
from forum.models import ModerationLogEntry, User
from forum.notify import notify
from forum.text import REASON_REQUIRED_MESSAGE


class ReasonRequired(ActionError):
    """Every moderation action needs a reason."""

    def __init__(self, message: str = "A reason is required for every moderation action.", field: str = "reason"):
        super().__init__(message, field=field)


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


def record_staff_action(
    actor: User | None,
    action: str,
    *,
    subject: User | int | None,
    reason: str,
    target_type: str,
    target_id: int | None,
    topic_id: int | None = None,
    text: str | None = None,
    url: str = "",
    summary: str = "",
    kind: str = "moderation",
) -> ModerationLogEntry:
    """Write the public log entry for a staff action and, with ``text``, tell the
    member concerned (``subject``). ``actor=None`` marks the action automatic."""
    if not (reason or "").strip():
        raise ReasonRequired(REASON_REQUIRED_MESSAGE)
    member = db.session.get(User, subject) if isinstance(subject, int) else subject
    entry = log_action(
        actor, action, target_type=target_type, target_id=target_id, reason=reason, subject_user=member,
        topic_id=topic_id, summary=summary, automatic=actor is None,
    )
    if member is not None and text:
        notify([member], kind=kind, text=text, url=url, actor=actor, topic=topic_id,
               category="moderation")
    return entry
