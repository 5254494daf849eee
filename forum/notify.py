"""The one place notifications are created (core: every feature may call it).

Features call :func:`notify` inside their transaction; the transaction writes one
``notify.fanout`` job (``forum.jobqueue``) at its commit, and a rollback drops it. The job
writes the notifications in one short transaction of its own (in-process after the
commit, or on a worker with ``FORUM_BROKER_URL``). A notification never goes to
the user who caused it.

One action, one notification: the transaction is the action, and within it each user
gets at most one notification per topic (the most important one, by
:data:`KIND_PRIORITY`), however many services call :func:`notify` about it. A staff
reply that is also marked the official answer (which resolves the topic) tells the
asker once, not three times.

Each notification has an email category (:data:`EMAIL_CATEGORIES`): the member chooses
per category whether it is emailed at once, in the daily digest or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.aftercommit import transaction_state
from forum.extensions import db
from forum.jobqueue import enqueue_at_commit, job
from forum.models import Notification, User
from forum.models.base import utcnow

_KEY = "forum_pending_notifications"

#: Email categories: (label for the settings page, the default for a new account).
EMAIL_CATEGORIES: dict[str, tuple[str, str]] = {
    "replies": ("Replies to your topics and posts, and private messages", "immediate"),
    "staff": ("Customer Care answers to your topics and questions", "immediate"),
    "moderation": ("Moderation of your posts and topics", "immediate"),
    "watched": ("Topics, incidents and Q&A sessions you follow", "daily"),
    "other": ("Kudos and everything else", "off"),
}
EMAIL_MODES = ("off", "immediate", "daily")

#: The category of each kind; callers may override it (a reply in a followed topic is
#: ``watched``, one in the member's own topic ``replies``). Unknown kinds are ``other``.
KIND_CATEGORIES = {
    "reply": "replies", "message": "replies", "solution": "replies", "mention": "replies",
    "official_answer": "staff", "satisfaction": "staff", "qa_answer": "staff",
    "resolved": "staff", "reminder": "staff",  # the case lifecycle (forum.helpdesk.cases)
    "moderation": "moderation",
    "incident_update": "watched", "qa_live": "watched",
}

#: Which notification wins when one action tells a user several things about one topic.
KIND_PRIORITY = {"moderation": 50, "official_answer": 40, "resolved": 35, "solution": 30, "satisfaction": 20,
                 "reminder": 15, "mention": 12, "reply": 10}

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
    topic_id: int | None
    category: str
    count: int = 1

    @property
    def priority(self) -> int:
        # Staff actions logged with their own kind (record_staff_action) rank as moderation.
        fallback = KIND_PRIORITY["moderation"] if self.category == "moderation" else 0
        return KIND_PRIORITY.get(self.kind, fallback)


def notify(
    users: Iterable[User | int],
    *,
    kind: str,
    text: str,
    url: str,
    actor: User | None = None,
    group_key: str | None = None,
    grouped_text: Callable[[int], str] | None = None,
    topic: object | int | None = None,
    category: str | None = None,
) -> None:
    """Queue a notification for each user (once each, never the actor).

    With ``group_key``, an unread notification with the same key is updated instead
    of adding another; ``grouped_text(count)`` then gives its new text. With ``topic``
    (a Topic or its id), the user gets one notification per topic in this transaction:
    a later, more important one replaces an earlier one. ``category`` overrides the
    kind's email category (:data:`KIND_CATEGORIES`).
    """
    state = transaction_state()
    pending: list[_Pending] | None = state.get(_KEY)
    if pending is None:
        pending = state[_KEY] = []
        enqueue_at_commit("notify.fanout", lambda: _payload(pending))
    positions: dict[tuple, int] = state.setdefault(_KEY + "_index", {})
    actor_id = actor.id if actor is not None else None
    topic_id = topic if isinstance(topic, int) or topic is None else topic.id
    category = category or KIND_CATEGORIES.get(kind, "other")
    for user in users:
        uid = user if isinstance(user, int) else user.id
        if uid == actor_id:
            continue
        new = _Pending(uid, kind, text, url, actor_id, group_key, grouped_text, topic_id, category)
        key = (uid, "topic", topic_id) if topic_id is not None else (uid, kind, url)
        index = positions.get(key)
        if index is None:
            positions[key] = len(pending)
            pending.append(new)
        elif new.priority > pending[index].priority:
            pending[index] = new  # the same action said something more important
        elif group_key and pending[index].group_key == group_key:
            old = pending[index]  # e.g. two replies written in one transaction (a script): counted
            old.count += 1
            old.text = old.grouped_text(old.count) if old.grouped_text else old.text


#: Stands for the count in a grouped text carried in a job's JSON payload.
_COUNT = "\x00count\x00"


def _payload(pending: list[_Pending]) -> dict | None:
    """The ``notify.fanout`` job's payload: the pending notifications as JSON (a grouped
    text becomes a template with :data:`_COUNT` for the number)."""
    if not pending:
        return None
    items = []
    for p in pending:
        item = asdict(p)
        item["grouped_text"] = p.grouped_text(_COUNT) if p.grouped_text else None
        items.append(item)
    return {"items": items}


def _grouped(template: str | None):
    return (lambda n: template.replace(_COUNT, str(n))) if template else None


@job("notify.fanout")
def fanout(*, items: list[dict]) -> None:
    """The ``notify.fanout`` job: store the action's notifications (grouped ones
    counted into the member's unread one), then run the delivery hooks (email), all in
    the job's transaction."""
    pending = [_Pending(**{**item, "grouped_text": _grouped(item.get("grouped_text"))}) for item in items]
    _write(db.session, pending)


def _write(s: Session, pending: list[_Pending]) -> None:
    if not pending:
        return
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
                existing.count += p.count
                existing.text = p.grouped_text(existing.count) if p.grouped_text else p.text
                existing.created_at = utcnow()
                existing.emailed_at = None
                created.append(existing)
                continue
        note = Notification(
            user_id=p.user_id, kind=p.kind, text=p.text, url=p.url, actor_id=p.actor_id, group_key=p.group_key,
            topic_id=p.topic_id, category=p.category, count=p.count,
        )
        s.add(note)
        created.append(note)
    s.flush()
    for hook in delivery_hooks:
        hook(s, created)
