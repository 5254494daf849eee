"""Per-kind email choices. A row exists only for a choice the member made (in their
settings or by unsubscribing); without one, :data:`forum.notify.EMAIL_CATEGORIES`
gives the default."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow


class EmailPreference(db.Model):
    __tablename__ = "email_preferences"
    __table_args__ = (UniqueConstraint("user_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: One of the keys of ``forum.notify.EMAIL_CATEGORIES`` (``replies``, ``staff``, ...).
    category: Mapped[str] = mapped_column(String(20))
    #: ``off``, ``immediate`` or ``daily`` (in the digest).
    mode: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
