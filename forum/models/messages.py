"""Private conversations: a member with the Customer Care team, or (when
``MEMBER_DMS`` is on) two members with each other.

Message bodies are private. They must never be sent to the search outbox or any
other public index: nothing here emits ``post_created`` or any search signal, and a
future search feature must not index these tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.topics import Topic
from forum.models.users import User

#: A member talking to Customer Care as a team (any team member may pick it up).
KIND_TEAM = "team"
#: Two members talking directly (only when ``MEMBER_DMS`` is on).
KIND_DIRECT = "direct"


class Conversation(db.Model):
    __tablename__ = "conversations"
    __table_args__ = (
        # The staff inbox: open team conversations, oldest waiting first.
        Index("ix_conversations_inbox", "kind", "is_closed", "waiting_since"),
        Index("ix_conversations_assignee", "assigned_to_id", "is_closed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``team`` or ``direct``.
    kind: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(150))
    #: For a team conversation: the member the team is talking to. ``None`` for direct ones.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The topic this conversation is about, if any (context for staff).
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"), index=True)
    #: The team member who has picked it up (team conversations only).
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Id of the newest message (denormalised; compared with each participant's
    #: ``last_read_message_id`` for unread counts). Not a foreign key: messages point here.
    last_message_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Team conversations: when the member's oldest unanswered message arrived;
    #: ``None`` once the team has replied.
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[User | None] = relationship(foreign_keys=[member_id])
    started_by: Mapped[User] = relationship(foreign_keys=[started_by_id])
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    topic: Mapped[Topic | None] = relationship()
    participants: Mapped[list[ConversationParticipant]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan"
    )

    @property
    def is_team(self) -> bool:
        return self.kind == KIND_TEAM

    @property
    def participant_ids(self) -> set[int]:
        return {p.user_id for p in self.participants}

    def __repr__(self) -> str:
        return f"<Conversation {self.id} {self.kind}>"


class ConversationParticipant(db.Model):
    """Someone who receives a conversation's messages and has read state in it.

    For direct conversations the rows are the access list. For team conversations
    the member has a row and team members get one when they write or are assigned;
    read access there comes from the role (see ``can_read_conversation``), not the row.
    """

    __tablename__ = "conversation_participants"
    __table_args__ = (
        UniqueConstraint("conversation_id", "user_id"),
        # The header's unread count and the /messages list: a user's conversations.
        Index("ix_conversation_participants_user", "user_id", "conversation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The newest message this user has seen (0: none).
    last_read_message_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="participants")
    user: Mapped[User] = relationship()


class Message(db.Model):
    """One message. Private: never indexed for search, never shown on public pages."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: Written for the team (shown to the member as "Customer Care").
    from_team: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: The Markdown source.
    body: Mapped[str] = mapped_column(Text)
    #: Sanitised HTML from :func:`forum.markup.render_markdown`.
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()


class ConversationEvent(db.Model):
    """Something that happened to a conversation: assigned, unassigned, closed,
    reopened. Assignment events are shown to the team only."""

    __tablename__ = "conversation_events"
    __table_args__ = (Index("ix_conversation_events_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: ``assigned``, ``unassigned``, ``closed``, ``reopened``.
    action: Mapped[str] = mapped_column(String(20))
    #: For ``assigned``: who it was assigned to.
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Shown only to the Customer Care team.
    team_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User] = relationship(foreign_keys=[actor_id])
    target_user: Mapped[User | None] = relationship(foreign_keys=[target_user_id])


class TopicContact(db.Model):
    """Customer Care contacted a topic's member privately about it. The topic shows
    a public notice ("Customer Care has contacted you privately"), never the content."""

    __tablename__ = "topic_contacts"
    __table_args__ = (Index("ix_topic_contacts_topic", "topic_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
