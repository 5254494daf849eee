"""The public moderation log: one row per staff action, with its reason. Append-only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.users import User


class ModerationLogEntry(db.Model):
    __tablename__ = "moderation_log"
    __table_args__ = (
        Index("ix_moderation_log_action_id", "action", "id"),
        Index("ix_moderation_log_actor_id_id", "actor_id", "id"),
        Index("ix_moderation_log_subject_user_id_id", "subject_user_id", "id"),
        # insights: the log entries of a period.
        Index("ix_moderation_log_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who acted; ``None`` for automatic actions and the command line.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The actor's role when they acted (roles change; the record does not).
    actor_role: Mapped[str | None] = mapped_column(String(20))
    #: True when the system acted by itself (for example auto-hide on spam flags).
    is_automatic: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: A verb such as ``hide_post``, ``lock_topic`` or ``change_role``.
    action: Mapped[str] = mapped_column(String(40))
    #: What was acted on: ``post``, ``topic``, ``user``, ``question`` ...
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int | None] = mapped_column(Integer)
    #: The member whose content or account it was, for "filter by member".
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The topic involved, if any, for linking.
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"))
    #: Required: why. Shown publicly.
    reason: Mapped[str] = mapped_column(Text)
    #: A short public description of the change ("member → moderator", "from Billing to Roaming").
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    subject_user: Mapped[User | None] = relationship(foreign_keys=[subject_user_id])


class ModerationLogImmutable(RuntimeError):
    """Raised when code tries to change or delete a moderation log entry."""


@event.listens_for(Session, "before_flush")
def _log_is_append_only(session: Session, flush_context, instances) -> None:
    for obj in session.dirty:
        if isinstance(obj, ModerationLogEntry) and session.is_modified(obj):
            raise ModerationLogImmutable("moderation log entries cannot be edited")
    for obj in session.deleted:
        if isinstance(obj, ModerationLogEntry):
            raise ModerationLogImmutable("moderation log entries cannot be deleted")
