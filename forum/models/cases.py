"""The case lifecycle of a help topic: its states, issue labels, and the log of every
state change (the data staff insights count: first response, time to solution, reopen rate).

The state itself is one column, ``Topic.state``; it is ``None`` for topics that are not
help cases (announcements and topics staff started), which never queue.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.users import User

#: Waiting for Customer Care: new, or a member wrote last.
WAITING = "waiting"
#: Staff replied or marked an official answer: waiting for the asker.
ANSWERED = "answered"
#: The asker accepted a solution or said Yes; staff resolved it for them; or auto-resolved.
RESOLVED = "resolved"
#: The asker said No, or wrote again after a resolution: back in the queue.
REOPENED = "reopened"

CASE_STATES = (WAITING, ANSWERED, RESOLVED, REOPENED)
#: The states that need a response from Customer Care (the staff queue).
QUEUE_STATES = (WAITING, REOPENED)
#: The states the "Unresolved" filter shows.
OPEN_STATES = (WAITING, ANSWERED, REOPENED)
STATE_LABELS = {
    WAITING: "Waiting for Customer Care",
    ANSWERED: "Answered",
    RESOLVED: "Resolved",
    REOPENED: "Reopened",
}

#: Issue labels staff set on a topic, in the order the picker shows them.
ISSUE_LABELS = {
    "investigating": "Investigating",
    "known_issue": "Known issue",
    "workaround": "Workaround",
    "fixed": "Fixed",
}

#: What caused a transition (``CaseTransition.event``).
EVENTS = (
    "asked",            # the topic was started: None -> waiting
    "staff_reply",      # staff replied: -> answered
    "official_answer",  # staff marked an official answer: -> answered
    "member_wrote",     # a member (the asker or another) wrote after an answer: -> waiting
    "asker_wrote",      # the asker wrote after a resolution: -> reopened
    "accepted",         # the asker accepted a solution: -> resolved
    "said_yes",         # the asker said Yes to "Did this solve your problem?": -> resolved
    "said_no",          # the asker said No: -> reopened
    "staff_resolved",   # staff resolved it on the asker's behalf, with a reason: -> resolved
    "auto_resolved",    # the asker stayed silent after one reminder: -> resolved
    "answer_hidden",    # the answer that resolved it was hidden: -> reopened
    "migrated",         # the state as worked out from the data when the lifecycle arrived
)


class CaseTransition(db.Model):
    """One change of a topic's state: from, to, who (``None`` when automatic), when, why.
    Append-only."""

    __tablename__ = "case_transitions"
    __table_args__ = (
        # A topic's history in order; insights walk it by topic.
        Index("ix_case_transitions_topic_id", "topic_id", "id"),
        # Insights over a period ("reopen rate this month").
        Index("ix_case_transitions_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    from_state: Mapped[str | None] = mapped_column(String(10))
    to_state: Mapped[str] = mapped_column(String(10))
    event: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<CaseTransition topic {self.topic_id} {self.from_state}->{self.to_state} ({self.event})>"
