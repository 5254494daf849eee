"""Executive Q&A sessions: a scheduled session with a question queue, votes and
answers on the record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.users import User

#: Every state of a session, in the order the clock moves through them.
QA_STATES = ("scheduled", "open", "live", "answered", "archived")
#: What each state is called on the pages.
QA_STATE_LABELS = {
    "scheduled": "Scheduled",
    "open": "Open for questions",
    "live": "Live",
    "answered": "Answered",
    "archived": "Archived",
}
#: Question statuses: ``open`` (waiting), ``follow_up`` (a "we will come back to you"
#: note, no answer yet), ``answered``, ``declined`` (rejected with a reason),
#: ``merged`` (a duplicate folded into another question).
QUESTION_STATUSES = ("open", "follow_up", "answered", "declined", "merged")


class QAEvent(db.Model):
    __tablename__ = "qa_events"
    __table_args__ = (
        # /ask: sessions by state, soonest first.
        Index("ix_qa_events_state_live", "state", "live_starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(150))
    #: The user with the ``executive`` role who answers.
    executive_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: Their public title for this session ("Chief Customer Officer").
    executive_title: Mapped[str] = mapped_column(String(100), default="", server_default="")
    intro: Mapped[str] = mapped_column(Text, default="", server_default="")
    intro_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: The window for questions.
    questions_open_at: Mapped[datetime] = mapped_column(UTCDateTime)
    questions_close_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The live part, when the executive answers.
    live_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    live_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: How many questions one member may ask in this session.
    question_limit: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    #: The stored state (one of :data:`QA_STATES`); the clock may have moved past it
    #: since (see ``forum.qa_events.services.effective_state``).
    state: Mapped[str] = mapped_column(String(20), default="scheduled", server_default="scheduled")
    #: When ``state`` last changed: window boundaries before this no longer apply.
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    executive: Mapped[User] = relationship(foreign_keys=[executive_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def __repr__(self) -> str:
        return f"<QAEvent {self.slug!r} {self.state}>"


class QAEventTransition(db.Model):
    """One change of a session's state, by the clock (``actor_id`` empty) or by hand."""

    __tablename__ = "qa_event_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("qa_events.id"), index=True)
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()


class Question(db.Model):
    __tablename__ = "qa_questions"
    __table_args__ = (
        # The session page, sorted by votes (default) ...
        Index("ix_qa_questions_event_votes", "event_id", "vote_count", "id"),
        # ... or newest first; the per-member limit counts by author.
        Index("ix_qa_questions_event_created", "event_id", "created_at"),
        Index("ix_qa_questions_event_author", "event_id", "author_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("qa_events.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: Markdown source (10 to 500 characters) and its sanitised HTML.
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    #: One of :data:`QUESTION_STATUSES`.
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    #: Kept by the vote services in SQL (``+ 1``/``- 1``), so concurrent votes add up.
    vote_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: For a merged duplicate: the question it was folded into.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("qa_questions.id"))
    #: For a declined question: the public reason.
    declined_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[QAEvent] = relationship()
    author: Mapped[User] = relationship()

    @property
    def anchor(self) -> str:
        return f"q{self.id}"

    @property
    def is_listed(self) -> bool:
        return self.status in ("open", "follow_up", "answered")


class QuestionVote(db.Model):
    __tablename__ = "qa_question_votes"
    __table_args__ = (UniqueConstraint("question_id", "voter_id", name="uq_qa_question_votes_question_voter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("qa_questions.id"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Answer(db.Model):
    """An answer (``kind='answer'``, at most one per question) or a follow-up note
    (``kind='follow_up'``: "we will come back to you"). Changes keep revisions."""

    __tablename__ = "qa_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("qa_questions.id"), index=True)
    #: Who wrote it: the executive, or staff on their behalf.
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The executive it is shown for.
    executive_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20), default="answer", server_default="answer")
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: How many revisions there are (1 for a never-changed answer).
    revision_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    question: Mapped[Question] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    executive: Mapped[User] = relationship(foreign_keys=[executive_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    @property
    def on_behalf(self) -> bool:
        return self.author_id != self.executive_id

    @property
    def anchor(self) -> str:
        return f"a{self.id}"


class AnswerRevision(db.Model):
    """Every version of an answer, the first one included."""

    __tablename__ = "qa_answer_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("qa_answers.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    editor: Mapped[User] = relationship()


class QAEventSubscription(db.Model):
    """Who hears when the session goes live: askers, voters and "remind me"."""

    __tablename__ = "qa_event_subscriptions"
    __table_args__ = (UniqueConstraint("event_id", "user_id", name="uq_qa_event_subscriptions_event_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("qa_events.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: ``asked``, ``voted`` or ``remind``: why they were subscribed first.
    reason: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
