"""The one place notifications are created (core: every feature may call it).

Features call :func:`notify` inside their transaction; nothing is written until that
transaction commits, and a rollback drops the notifications with it. After the commit
they are written in one short transaction of their own. A notification never goes to
the user who caused it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.aftercommit import after_commit, transaction_state
from forum.extensions import db
from forum.models import Notification, User
from forum.models.base import utcnow

_KEY = "forum_pending_notifications"

#: Hooks run after notifications are stored, with (session, [Notification]); the
#: email delivery registers here.
delivery_hooks: list[Callable[[Session, list[Notification]], None]] = []


@dataclass
class _Pending:
    user_id: int
    kind: str
    text: str
    url: str
    actor_id: int | None
    group_key: str | None
    grouped_text: Callable[[int], str] | None


def notify(
    users: Iterable[User | int],
    *,
    kind: str,
    text: str,
    url: str,
    actor: User | None = None,
    group_key: str | None = None,
    grouped_text: Callable[[int], str] | None = None,
) -> None:
    """Queue a notification for each user (once each, never the actor).

    With ``group_key``, an unread notification with the same key is updated instead
    of adding another; ``grouped_text(count)`` then gives its new text.
    """
    state = transaction_state()
    pending: list[_Pending] | None = state.get(_KEY)
    if pending is None:
        pending = state[_KEY] = []
        app = current_app._get_current_object()
        after_commit(lambda: _write(app, pending))
    actor_id = actor.id if actor is not None else None
    seen = {p.user_id for p in pending if p.kind == kind and p.url == url}
    for user in users:
        uid = user if isinstance(user, int) else user.id
        if uid == actor_id or uid in seen:
            continue
        seen.add(uid)
        pending.append(_Pending(uid, kind, text, url, actor_id, group_key, grouped_text))


def _write(app, pending: list[_Pending]) -> None:
    if not pending:
        return
    with app.app_context(), Session(db.engine) as s, s.begin():
        created: list[Notification] = []
        for p in pending:
            if p.group_key:
                existing = s.scalar(
                    select(Notification).where(
                        Notification.user_id == p.user_id,
                        Notification.group_key == p.group_key,
                        Notification.read_at.is_(None),
                    )
                )
                if existing is not None:
                    existing.count += 1
                    existing.text = p.grouped_text(existing.count) if p.grouped_text else p.text
                    existing.created_at = utcnow()
                    existing.emailed_at = None
                    created.append(existing)
                    continue
            note = Notification(
                user_id=p.user_id, kind=p.kind, text=p.text, url=p.url, actor_id=p.actor_id, group_key=p.group_key
            )
            s.add(note)
            created.append(note)
        s.flush()
        for hook in delivery_hooks:
            hook(s, created)
