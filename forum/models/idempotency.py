"""One-time submission tokens that were used (issue 18, finding 9; forum.idempotency)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow


class SubmissionRecord(db.Model):
    """A one-time submission token that was used: which member, the token's random
    part (its SHA-256) and where the first submit led. Written in the same transaction
    as the post, so a repeated submit finds it and stores nothing new
    (``forum.idempotency``)."""

    __tablename__ = "submission_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    #: The page the first submit redirected to (a site path).
    result_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    __table_args__ = (UniqueConstraint("user_id", "token_hash"),)
