"""API tokens (issue 19): personal tokens for staff and service tokens for integrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.users import User

#: What a token may do: ``read`` (GET), ``write`` (posting as its user), ``staff``
#: (the staff queue, private cases, internal notes, incident updates).
API_SCOPES = ("read", "write", "staff")
#: ``personal``: a staff member's own token; ``service``: an integration's, acting as
#: a configured service user (so the audit trail names that user).
API_TOKEN_KINDS = ("personal", "service")


class ApiToken(db.Model):
    """A bearer token. Only the SHA-256 of its secret is stored; the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``personal`` or ``service`` (:data:`API_TOKEN_KINDS`).
    kind: Mapped[str] = mapped_column(String(10))
    #: A label the owner chose ("CRM post-back").
    name: Mapped[str] = mapped_column(String(80))
    #: The user the token acts as: the staff member, or the service user.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: Who made it (the staff member, or the admin who made a service token).
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: hex SHA-256 of the secret.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The secret's first characters, to tell tokens apart in lists (not secret).
    prefix: Mapped[str] = mapped_column(String(16))
    #: Space-separated scopes out of :data:`API_SCOPES`.
    scopes: Mapped[str] = mapped_column(String(40))
    #: Flask-Limiter notation ("120/minute"); empty means the configured default.
    rate_limit: Mapped[str] = mapped_column(String(40), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The last request it authenticated (written at most once a minute).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
