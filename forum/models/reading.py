"""Each member's read position in each topic (unread markers, "new since your last
visit", jump to the first unread post)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow


class TopicRead(db.Model):
    """How far one member has read one topic: a high-water mark on post ids (posts of a
    topic get increasing ids). Written only when it moves forward (forum.topics.reading)."""

    __tablename__ = "topic_reads"
    __table_args__ = (
        # Deleting a topic's rows, and "who read this topic" for maintenance.
        Index("ix_topic_reads_topic_id", "topic_id"),
        # When the member's positions last moved: the key of their cached marks (issue 16).
        Index("ix_topic_reads_user_updated", "user_id", "updated_at"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True)
    #: The highest post id the member has been shown in this topic.
    last_read_post_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: When the position last moved (the board counts compare it with the topic's activity).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
