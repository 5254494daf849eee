"""The case lifecycle of a help topic: the only code that changes ``Topic.state``.

States (forum.models.cases): **waiting** for Customer Care (new, or a member wrote last),
**answered** (staff replied or marked an official answer; waiting for the asker),
**resolved** (the asker accepted a solution or said Yes; staff resolved it for them with a
reason; or the asker stayed silent after one reminder) and **reopened** (the asker said
No, or wrote after a resolution). Every change is one :class:`CaseTransition` row.

Announcements and topics that staff started are not cases (``state`` is ``None``) and
never queue. Like every service, these functions flush and never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from forum import signals
from forum.actions import ActionError, Conflict, NotFound
from forum.actions import PermissionDenied as _Denied
from forum.audit import log_action
from forum.extensions import db
from forum.incidents.services import ANNOUNCEMENTS_SLUG
from forum.models import CaseTransition, Incident, Post, Topic, User
from forum.models.base import utcnow
from forum.models.cases import (
    ANSWERED,
    ISSUE_LABELS,
    OPEN_STATES,
    QUEUE_STATES,
    REOPENED,
    RESOLVED,
    STATE_LABELS,
    WAITING,
)
from forum.notify import notify
from forum.permissions import can_resolve_topic_for_asker, can_set_issue_label
from forum.text import clean_reason

RESOLVE_REASON_MESSAGE = "Say why you are resolving this topic for the asker: the reason is shown in the public log."
NOT_A_CASE_MESSAGE = "This topic is not a help case (an announcement or a topic staff started), so it has no state."
AUTO_RESOLVE_REASON = "No reply from the asker for {days} days after a reminder."


class CaseError(ActionError):
    """A refused lifecycle change; the message is shown to the user."""


class CaseDenied(CaseError, _Denied):
    pass


def topic_path(topic: Topic, anchor: str = "") -> str:
    return f"/t/{topic.id}-{topic.slug}" + (f"#{anchor}" if anchor else "")


def is_case(topic: Topic) -> bool:
    return topic.state is not None


def move(topic: Topic, to: str, *, event: str, actor: User | None, reason: str | None = None,
         at: datetime | None = None) -> CaseTransition | None:
    """Change the topic's state and record the transition. No-op (``None``) when the
    topic is not a case or already in ``to``."""
    if topic.state is None or topic.state == to:
        return None
    now = at or utcnow()
    row = CaseTransition(topic_id=topic.id, from_state=topic.state, to_state=to, event=event,
                         actor_id=actor.id if actor is not None else None, reason=reason, created_at=now)
    db.session.add(row)
    if topic.state == RESOLVED:
        topic.resolved_at = None  # the history keeps when it was
    topic.state = to
    if to == ANSWERED:
        topic.answered_at, topic.reminded_at = now, None
    elif to == RESOLVED:
        topic.resolved_at = now
        topic.resolution_note = None
    elif to == WAITING and event != "asked":
        topic.waiting_since = now
    db.session.flush()
    signals.topic_answer_changed.send(topic)  # search re-reads the resolved flag
    signals.topic_state_changed.send(topic, from_state=row.from_state, to_state=to, event=event, actor=actor)
    return row


# --- what members and staff do -----------------------------------------------------


def on_topic_created(topic: Topic) -> None:
    """A member's question is a case, waiting from the start; announcements and topics
    staff started are not."""
    if topic.author.is_staff or topic.category.slug == ANNOUNCEMENTS_SLUG:
        topic.state = None
        return
    topic.state = WAITING
    topic.waiting_since = topic.created_at
    db.session.add(CaseTransition(topic_id=topic.id, from_state=None, to_state=WAITING, event="asked",
                                  actor_id=topic.author_id, created_at=topic.created_at))
    db.session.flush()


def on_reply(post: Post) -> None:
    """A public reply: staff answer (-> answered); a member writing after an answer puts the
    topic back in the queue (-> waiting); the asker writing after a resolution reopens it."""
    topic = post.topic
    if topic.state is None or post.is_first:
        return
    author = post.author
    if author.is_staff:
        if topic.state in QUEUE_STATES:
            move(topic, ANSWERED, event="staff_reply", actor=author, at=post.created_at)
        elif topic.state == ANSWERED:  # another answer: the asker's silence counts from now
            topic.answered_at, topic.reminded_at = post.created_at, None
            db.session.flush()
    elif topic.state == ANSWERED:
        move(topic, WAITING, event="member_wrote", actor=author, at=post.created_at)
    elif topic.state == RESOLVED and author.id == topic.author_id:
        topic.waiting_since = post.created_at
        move(topic, REOPENED, event="asker_wrote", actor=author, at=post.created_at)


def on_official_answer(topic: Topic, *, actor: User) -> None:
    """Staff marked an official answer: answered, not resolved (the asker decides)."""
    if topic.state in QUEUE_STATES:
        move(topic, ANSWERED, event="official_answer", actor=actor)
    elif topic.state == ANSWERED:
        topic.answered_at, topic.reminded_at = utcnow(), None
        db.session.flush()


def on_solution_accepted(topic: Topic, *, actor: User) -> None:
    move(topic, RESOLVED, event="accepted", actor=actor)


def on_satisfaction(topic: Topic, *, actor: User, answer: str, comment: str | None) -> None:
    """Yes resolves the topic; No reopens it at its original waiting time (the accepted
    solution, if any, did not solve it and is withdrawn)."""
    if answer == "yes":
        move(topic, RESOLVED, event="said_yes", actor=actor, reason=comment)
    else:
        topic.solution_post_id = topic.solution_accepted_at = None
        move(topic, REOPENED, event="said_no", actor=actor, reason=comment)


def on_answer_hidden(topic: Topic, *, actor: User | None, note: str) -> None:
    """The answer that resolved the topic was hidden: it needs a response again."""
    if topic.state == RESOLVED and topic.official_answer_post_id is None and topic.solution_post_id is None:
        topic.waiting_since = utcnow()
        move(topic, REOPENED, event="answer_hidden", actor=actor, reason=note)
        topic.resolution_note = note


def resolve_for_asker(topic: Topic, *, actor: User, reason: str | None) -> CaseTransition:
    """Staff resolve a topic on the asker's behalf. The reason is required and goes to
    the public moderation log; the asker is told."""
    if not can_resolve_topic_for_asker(actor, topic):
        raise CaseDenied("Only staff can resolve a topic for its asker.")
    reason = clean_reason(reason, required=True, required_message=RESOLVE_REASON_MESSAGE, error=CaseError)
    if topic.state is None:
        raise CaseError(NOT_A_CASE_MESSAGE, status=409)
    if topic.state == RESOLVED:
        raise Conflict("This topic is already resolved.")
    previous = topic.state
    row = move(topic, RESOLVED, event="staff_resolved", actor=actor, reason=reason)
    log_action(actor, "resolve_topic", target_type="topic", target_id=topic.id, reason=reason,
               subject_user=topic.author, topic_id=topic.id,
               summary=f"resolved for the asker ({STATE_LABELS[previous].lower()} → resolved)")
    notify([topic.author_id], kind="resolved", actor=actor, url=topic_path(topic), topic=topic,
           text=f"Customer Care marked your topic “{topic.title}” as resolved: {reason} "
                "If it is not solved, just reply and it goes back to the team.")
    return row


# --- auto-resolution ----------------------------------------------------------------


def auto_resolve(now: datetime | None = None, *, batch: int = 500) -> tuple[int, int]:
    """Remind the asker of answered topics silent for ``AUTO_RESOLVE_REMIND_DAYS``, and
    resolve those still silent ``AUTO_RESOLVE_DAYS`` after that one reminder. Returns
    (reminded, resolved). ``now`` is injectable for tests and re-runs."""
    now = now or utcnow()
    cfg = current_app.config
    days = int(cfg["AUTO_RESOLVE_DAYS"])
    remind_after = timedelta(days=int(cfg["AUTO_RESOLVE_REMIND_DAYS"]))
    due = list(db.session.scalars(
        select(Topic).where(Topic.state == ANSWERED, Topic.reminded_at.is_not(None),
                            Topic.reminded_at <= now - timedelta(days=days))
        .order_by(Topic.answered_at).limit(batch)
    ))
    for topic in due:
        move(topic, RESOLVED, event="auto_resolved", actor=None, reason=AUTO_RESOLVE_REASON.format(days=days), at=now)
        notify([topic.author_id], kind="resolved", url=topic_path(topic), topic=topic,
               text=f"Your topic “{topic.title}” was marked resolved after {days} days without a reply. "
                    "If it is not solved, just reply and it goes back to Customer Care.")
    to_remind = list(db.session.scalars(
        select(Topic).where(Topic.state == ANSWERED, Topic.reminded_at.is_(None), Topic.answered_at <= now - remind_after)
        .order_by(Topic.answered_at).limit(batch)
    ))
    for topic in to_remind:
        topic.reminded_at = now
        notify([topic.author_id], kind="reminder", url=topic_path(topic, "satisfaction"), topic=topic,
               text=f"Customer Care answered your topic “{topic.title}”. Did it solve your problem? "
                    f"If we don't hear from you, it will be marked resolved in {days} days.")
    db.session.flush()
    return len(to_remind), len(due)


# --- issue labels -------------------------------------------------------------------


def set_issue_label(topic: Topic, *, actor: User, label: str | None, incident_id: int | None = None,
                    reason: str | None = None) -> bool:
    """Set (or clear, with ``label=None``) a topic's issue label, optionally linked to an
    incident. Logged in the public moderation log. Returns whether anything changed."""
    if not can_set_issue_label(actor, topic):
        raise CaseDenied("Only staff can set issue labels.")
    if label is not None and label not in ISSUE_LABELS:
        raise CaseError("Choose one of the labels: " + ", ".join(ISSUE_LABELS.values()) + ".", field="label")
    incident = None
    if incident_id is not None:
        if label is None:
            raise CaseError("An incident is linked through a label: choose a label too.", field="incident")
        incident = db.session.get(Incident, incident_id)
        if incident is None:
            raise NotFound("No incident has that number.")
    reason = clean_reason(reason, required=False, error=CaseError) or None
    if topic.issue_label == label and topic.issue_incident_id == (incident.id if incident else None):
        return False
    old = ISSUE_LABELS.get(topic.issue_label or "", "none")
    new = ISSUE_LABELS.get(label or "", "none")
    topic.issue_label = label
    topic.issue_incident_id = incident.id if incident else None
    summary = f"issue label: {old} → {new}" + (f" (incident {incident.id})" if incident else "")
    log_action(actor, "set_issue_label", target_type="topic", target_id=topic.id, topic_id=topic.id,
               reason=reason or summary, subject_user=topic.author, summary=summary)
    db.session.flush()
    return True


__all__ = ["ANSWERED", "OPEN_STATES", "QUEUE_STATES", "REOPENED", "RESOLVED", "WAITING", "CaseError", "auto_resolve",
           "move", "resolve_for_asker", "set_issue_label"]
