"""The help desk: kudos on posts and topic subscriptions (watch or mute)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow


class Kudos(db.Model):
    """One member's kudos on one post. Given once; never on one's own post."""

    __tablename__ = "kudos"
    __table_args__ = (UniqueConstraint("post_id", "user_id", name="uq_kudos_post_id_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    #: Who gave it. Indexed for "what did I give kudos to on this page".
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


#: Subscription states.
WATCHING, MUTED = "watching", "muted"


class TopicSubscription(db.Model):
    """A member's choice for one topic: ``watching`` (notify me of replies) or ``muted``.
    The author and everyone who posts are subscribed when they post, unless they muted it."""

    __tablename__ = "topic_subscriptions"
    __table_args__ = (
        UniqueConstraint("user_id", "topic_id", name="uq_topic_subscriptions_user_id_topic_id"),
        # A reply looks up all subscribers of its topic.
        Index("ix_topic_subscriptions_topic_id", "topic_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    state: Mapped[str] = mapped_column(String(10), default=WATCHING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
