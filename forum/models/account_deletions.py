"""The record that an account was deleted by its owner (issue 18), for administrators.

It holds no personal data: the account's id (its scrubbed ``users`` row stays, so
posts and the moderation log still point at it), its role, when, how much content it
left, and SHA-256 digests of its old username's key and look-alike skeleton, so that
nobody can register the name again to impersonate the former member
(``forum.accounts.retired_names``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.users import User


class AccountDeletion(db.Model):
    __tablename__ = "account_deletions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The scrubbed account row (unique: an account is deleted once).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    #: The role the account held (always ``member`` today: staff cannot delete themselves).
    role: Mapped[str] = mapped_column(String(20))
    #: When the account had been created, and when it was deleted.
    account_created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: What stays on the forum, shown as "a former member".
    post_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    topic_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    message_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: SHA-256 of the old ``username_key`` and of its confusable skeleton: the name is retired.
    username_digest: Mapped[str] = mapped_column(String(64), index=True)
    skeleton_digest: Mapped[str] = mapped_column(String(64), index=True)

    user: Mapped[User] = relationship()
