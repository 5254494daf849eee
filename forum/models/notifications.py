"""In-app notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.users import User


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        # The bell: a user's unread notifications, newest first.
        Index("ix_notifications_user_read", "user_id", "read_at", "id"),
        # Batching ("3 people gave kudos to your post") looks up the open group.
        Index("ix_notifications_user_group", "user_id", "group_key"),
        # Opening a topic marks that topic's unread notifications read.
        Index("ix_notifications_user_topic", "user_id", "topic_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: ``reply``, ``official_answer``, ``solution``, ``kudos``, ``satisfaction``, ``moderation`` ...
    kind: Mapped[str] = mapped_column(String(30))
    #: What the notification says, as plain text.
    text: Mapped[str] = mapped_column(Text)
    #: Where it leads, a path on this site.
    url: Mapped[str] = mapped_column(String(500))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The topic it is about, if any: one notification per topic and action, and
    #: opening the topic marks it read.
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    #: Which email choice applies (``forum.notify.EMAIL_CATEGORIES``): ``replies``,
    #: ``staff``, ``moderation``, ``watched`` or ``other``.
    category: Mapped[str] = mapped_column(String(20), default="other", server_default="other")
    #: Notifications with the same unread ``group_key`` are merged into one (count + 1).
    group_key: Mapped[str | None] = mapped_column(String(100))
    count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When an email about it went out (immediately or in a digest); ``None`` if not yet.
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
