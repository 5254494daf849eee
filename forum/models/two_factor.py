"""Two-factor sign-in: the confirmed authenticator and the recovery codes (issue 18)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow


class TwoFactor(db.Model):
    """A member's confirmed authenticator app: one row per account, written only when
    the first code from the app was right (the enrolment secret is derived until then,
    see ``forum.accounts.two_factor``)."""

    __tablename__ = "two_factor"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    #: The TOTP secret (base32), as the app holds it.
    secret: Mapped[str] = mapped_column(String(64))
    #: The TOTP time step (unix time // 30) of the last accepted code: a code of that
    #: step or an earlier one is refused, so a code works once (replay guard).
    last_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCode(db.Model):
    """One of the ten recovery codes shown once at enrolment; stored as SHA-256, each
    usable once (``used_at``)."""

    __tablename__ = "two_factor_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
