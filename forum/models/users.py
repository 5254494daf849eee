"""Members, their roles, and the record of role changes."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow

#: How a deleted account is shown wherever its name would be.
FORMER_MEMBER = "a former member"
#: Every role, lowest first.
ROLES = ("member", "moderator", "staff", "executive", "admin")
#: Roles that act for the brand and carry a badge.
STAFF_ROLES = frozenset({"moderator", "staff", "executive", "admin"})
#: What each role's badge says.
ROLE_LABELS = {
    "member": "Member",
    "moderator": "Moderator",
    "staff": "Customer Care",
    "executive": "Head of Customer Care",
    "admin": "Administrator",
}


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The name as the member typed it (NFKC-normalised), shown on pages.
    username: Mapped[str] = mapped_column(String(30))
    #: NFKC + casefold of ``username``; uniqueness is enforced on this.
    username_key: Mapped[str] = mapped_column(String(64), unique=True)
    #: Private. Never rendered on a page another member can see.
    email: Mapped[str] = mapped_column(String(254))
    #: Lower-cased ``email``; uniqueness is enforced on this.
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(20), default="member", server_default="member")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Suspended members can sign in and read, but take part in nothing (forum.moderation).
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_indefinitely: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    #: helpdesk: a public title shown in a staff member's badge instead of the role's label.
    title: Mapped[str | None] = mapped_column(String(60))
    # Email choices per kind of notification: forum.models.email_preferences.
    #: Set when the member deleted their account: the row stays (their posts and the
    #: moderation log point at it) with every personal field scrubbed, shown as
    #: "a former member" (forum.accounts.self_service.delete_account).
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: forum.people: the uploaded avatar's random file key (``instance/avatars/<key>.webp``);
    #: ``None`` shows generated initials.
    avatar_key: Mapped[str | None] = mapped_column(String(40))

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_active(self) -> bool:
        """Flask-Login refuses to sign in a deleted account."""
        return self.deleted_at is None

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_suspended(self) -> bool:
        if self.suspended_indefinitely:
            return True
        return self.suspended_until is not None and self.suspended_until > utcnow()

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def badge_label(self) -> str:
        """What a staff badge says: the user's own title, else the role's label."""
        return self.title or ROLE_LABELS[self.role]

    @property
    def shown_name(self) -> str:
        if self.deleted_at is not None:
            return FORMER_MEMBER
        return self.display_name or self.username

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and remember cookies: the random id of
        this sign-in's :class:`UserSession`, never the user id (forum.accounts.sessions)."""
        token = getattr(self, "session_token", None)
        if not token:
            raise RuntimeError("sign in through forum.accounts.sessions.start_session()")
        return token

    def __repr__(self) -> str:
        return f"<User {self.username!r} {self.role}>"


class RoleChange(db.Model):
    """One change of a user's role: who, from what to what, by whom and why."""

    __tablename__ = "role_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: ``None`` when made from the command line.
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    old_role: Mapped[str] = mapped_column(String(20))
    new_role: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id])


class UserSession(db.Model):
    """One sign-in on one device. The browser holds only a random token; the row keeps
    its SHA-256, so a stolen database cannot be replayed as cookies. A session ends
    (``ended_at``) on logout, password change or reset, "sign out everywhere", a role
    change, a suspension or an admin's action; an ended session's cookie is anonymous."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 (hex) of the token in the session and remember cookies; rotated when a
    #: remember cookie signs the browser back in.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: "Firefox on Windows", from the User-Agent at sign-in.
    device: Mapped[str] = mapped_column(String(80))
    #: The address's network, never the full address: "203.0.113.0/24", "2001:db8:1::/48".
    ip_prefix: Mapped[str] = mapped_column(String(50))
    remember: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Updated at most once per ``SESSION_TOUCH_SECONDS``, after the response.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: ``logout``, ``password_changed``, ``password_reset``, ``signed_out_everywhere``,
    #: ``ended_by_member``, ``role_changed``, ``suspended``, ``ended_by_admin``.
    end_reason: Mapped[str | None] = mapped_column(String(30))
    #: The sign-in still needs its second step (a code, or a staff account's enrolment):
    #: until it is passed the session may use only the two-factor pages and sign out.
    needs_second_factor: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    user: Mapped[User] = relationship()


class AccountEvent(db.Model):
    """What happened to an account, for the member to see on /settings: sign-ins,
    password changes, sessions ended."""

    __tablename__ = "account_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str | None] = mapped_column(String(200))
    device: Mapped[str | None] = mapped_column(String(80))
    ip_prefix: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_account_events_user_id_id", "user_id", "id"),)
