"""Replies received by email (forum.mailin): one row per message and reply address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow


class InboundMail(db.Model):
    """A received reply and what became of it. Written in the same transaction as the
    post (or message, or bounce), so a redelivered mail finds it and does nothing
    twice: the key is the SHA-256 of its ``Message-ID`` and the reply token."""

    __tablename__ = "inbound_mails"
    __table_args__ = (Index("ix_inbound_mails_bounce_hash_created", "bounce_hash", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of ``Message-ID`` + reply token (of the raw message when it has no id).
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The member the reply address named, when the address was valid.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: ``posted``, ``refused`` (a bounce went out, or was held back) or ``ignored``
    #: (an automatic message: no bounce, ever).
    outcome: Mapped[str] = mapped_column(String(20))
    #: Why it was refused or ignored (``forum.mailin.services.REASONS``).
    reason: Mapped[str | None] = mapped_column(String(30))
    #: Where the reply landed (a site path), when posted.
    result_url: Mapped[str | None] = mapped_column(String(500))
    #: SHA-256 of the address a bounce went to (never the address itself): caps bounces per hour.
    bounce_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
