"""Escalating a topic to a private case, and closing the case.

A private case is a team conversation with the topic's asker (``forum.messages``),
linked to the topic by a ``TopicContact`` row and ``Conversation.topic_id``. The
topic then shows the asker, and only the asker, that Customer Care contacted them;
everyone else reads "Customer Care is handling this privately"
(``templates/helpdesk/_private_case_notice.html``). Closing the case may post a
public resolution note back into the topic, as an ordinary staff reply.

Both steps change what members see, so both go to the public moderation log,
without any of the conversation's content. Writes flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from forum import signals
from forum.audit import log_action
from forum.extensions import db
from forum.helpdesk.services import PermissionDenied
from forum.messages import services as messages
from forum.models import Conversation, Post, Topic, TopicContact, User
from forum.permissions import can_close_private_case, can_escalate_topic
from forum.topics import services as topics

ESCALATED_REASON = "Customer Care continued this topic in a private conversation with the asker."
CLOSED_REASON = "Customer Care closed the private case about this topic."


def escalate_topic(topic: Topic, *, actor: User, subject: str, body: str) -> Conversation:
    """Open a private case with the topic's asker: a team conversation assigned to
    ``actor``, linked to the topic, with the notice on the topic. Logged publicly."""
    if not can_escalate_topic(actor, topic):
        raise PermissionDenied("Only the Customer Care team opens private cases, and only with a member.")
    conversation = messages.start_conversation(
        actor, topic.author, subject=subject, body=body, topic=topic, notice_on_topic=True
    )
    log_action(actor, "escalate_private_case", target_type="topic", target_id=topic.id, reason=ESCALATED_REASON,
               subject_user=topic.author, topic_id=topic.id, summary="private case opened with the asker")
    signals.case_escalated.send(topic, conversation=conversation, actor=actor)
    return conversation


def close_case(conversation: Conversation, *, actor: User, note: str | None = None) -> Post | None:
    """Close the private case and, with ``note``, post it in the topic as a public
    reply by ``actor`` (the normal reply path: their badge, search, notifications).
    Returns the reply, if any. Logged publicly."""
    if not can_close_private_case(actor, conversation):
        raise PermissionDenied("Only the Customer Care team closes private cases about a topic.")
    topic = conversation.topic
    reply = topics.reply_to_topic(topic, author=actor, body=note) if (note or "").strip() else None
    messages.set_closed(conversation, True, actor=actor)
    summary = f"public resolution note: post {reply.id}" if reply else "closed without a public note"
    log_action(actor, "close_private_case", target_type="post" if reply else "topic",
               target_id=reply.id if reply else topic.id, reason=CLOSED_REASON, subject_user=topic.author,
               topic_id=topic.id, summary=summary)
    return reply


# --- reads ------------------------------------------------------------------------


@dataclass
class PrivateCases:
    """The private cases about one topic, as the topic page needs them."""

    #: ``(conversation id, is closed)`` of every case, oldest first.
    cases: list[tuple[int, bool]] = field(default_factory=list)
    #: The viewer's own conversation about the topic, if they are a contacted member.
    yours: int | None = None

    @property
    def is_open(self) -> bool:
        return any(not closed for _, closed in self.cases)


def private_cases(topic: Topic, viewer) -> PrivateCases | None:
    """``None`` (no query) when the topic has no private case; else one query."""
    if topic.private_contact_at is None:
        return None
    rows = db.session.execute(
        select(Conversation.id, Conversation.member_id, Conversation.is_closed)
        .join(TopicContact, TopicContact.conversation_id == Conversation.id)
        .where(TopicContact.topic_id == topic.id)
        .order_by(TopicContact.id)
    ).all()
    result = PrivateCases()
    viewer_id = viewer.id if getattr(viewer, "is_authenticated", False) else None
    for row in rows:
        if (row.id, row.is_closed) not in result.cases:
            result.cases.append((row.id, row.is_closed))
        if viewer_id is not None and row.member_id == viewer_id and result.yours is None:
            result.yours = row.id
    return result
