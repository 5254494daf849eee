"""Sign-in with OpenID Connect: which provider account is linked to which forum account (issue 19)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow


class SsoLink(db.Model):
    """One provider account (``provider``, the ID token's ``sub``) linked to one forum
    account. A forum account has at most one link per provider. The provider's email
    is not kept here: the account's own (private) email is the only copy."""

    __tablename__ = "sso_links"
    __table_args__ = (
        UniqueConstraint("provider", "subject", name="uq_sso_links_provider_subject"),
        UniqueConstraint("user_id", "provider", name="uq_sso_links_user_provider"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The provider's name in ``OIDC_PROVIDERS`` (lower case).
    provider: Mapped[str] = mapped_column(String(40))
    #: The ID token's ``sub`` claim: stable and unique at that provider.
    subject: Mapped[str] = mapped_column(String(255))
    #: How the link was made: ``new_account``, ``password`` or ``verified_email``.
    linked_by: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
