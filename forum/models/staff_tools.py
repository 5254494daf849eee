"""Staff tools on help topics: internal notes and the team's saved replies.

Internal notes are for the Customer Care team and moderators only. They are not
posts: nothing sends a post or search signal for them, so they never reach the
search outbox, feeds, mails, member notifications or any public page.

Assignment reuses ``Topic.claimed_by_id`` (an agent's claim lasts until they release
it or answer the topic); the index below serves the staff queue's assignment filters.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.topics import Topic
from forum.models.users import User

#: The staff queue's "mine" and "unassigned" (``claimed_by_id`` = the agent, or NULL),
#: oldest waiting first: the queue's own index (ix_topics_queue) with the assignee in front.
Index("ix_topics_staff_queue_assignee", Topic.claimed_by_id, Topic.state, Topic.waiting_since, Topic.id)


class InternalNote(db.Model):
    """A note staff leave inside a topic for each other. Never shown to members."""

    __tablename__ = "internal_notes"
    __table_args__ = (Index("ix_internal_notes_topic", "topic_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The Markdown source, as written.
    body: Mapped[str] = mapped_column(Text)
    #: Sanitised HTML from :func:`forum.markup.render_markdown`.
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()


class SavedReply(db.Model):
    """A canned answer the team keeps. ``{name}`` in the body becomes the asker's
    display name when an agent uses it; archived replies are kept, not deleted."""

    __tablename__ = "saved_replies"
    __table_args__ = (Index("ix_saved_replies_archived_title", "is_archived", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    #: Markdown, with placeholders (see ``forum.helpdesk.saved_replies.PLACEHOLDERS``).
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Archived replies are hidden from the picker and can be restored.
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    updated_by: Mapped[User] = relationship(foreign_keys=[updated_by_id])
