"""Members' uploaded images: screenshots attached to posts (forum.composer). A member's
avatar is one column on ``users`` (``User.avatar_key``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow


class Upload(db.Model):
    """One re-encoded image a member uploaded, stored as ``instance/uploads/<key>.webp``
    and served only by ``composer.upload_file``."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random, unguessable; the file name and the URL.
    key: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: Size of the re-encoded file, counted against the member's quota.
    byte_size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_uploads_user_id_created_at", "user_id", "created_at"),)
