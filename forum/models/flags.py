"""Member flags on posts, and appeals against moderation of a member's post."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.topics import Post
from forum.models.users import User

#: Why a member flags a post, and how each reads.
FLAG_REASONS = {
    "spam": "Spam",
    "abusive": "Abusive",
    "off_topic": "Off-topic",
    "personal_data": "Personal data exposed",
    "other": "Other",
}


class Flag(db.Model):
    """One member's flag on one post (once per post). Open until a moderator acts."""

    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("post_id", "user_id"),
        # The review queue: open flags, grouped by post.
        Index("ix_flags_open_post", "resolved_at", "post_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: A key of :data:`FLAG_REASONS`.
    reason: Mapped[str] = mapped_column(String(20))
    #: Free text ("other" requires it).
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: ``hidden``, ``dismissed``, ``edited`` or ``restored``.
    resolution: Mapped[str | None] = mapped_column(String(20))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    post: Mapped[Post] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def reason_label(self) -> str:
        return FLAG_REASONS.get(self.reason, self.reason)


class Appeal(db.Model):
    """An author's one appeal against a moderation action on their post."""

    __tablename__ = "appeals"
    __table_args__ = (
        UniqueConstraint("post_id", "user_id"),
        Index("ix_appeals_open", "decided_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: ``granted`` or ``denied``.
    outcome: Mapped[str | None] = mapped_column(String(20))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)

    post: Mapped[Post] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
