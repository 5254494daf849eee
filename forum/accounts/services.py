"""Account writes. Services flush; the caller (view, CLI, test) commits."""

from __future__ import annotations

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from forum.accounts import sessions
from forum.accounts.names import check_not_imitating_staff
from forum.accounts.retired_names import is_retired
from forum.accounts.validation import (
    ValidationError,
    check_password,
    check_username,
    email_key,
    username_key,
)
from forum.actions import ActionError, PermissionDenied
from forum.audit import log_action
from forum.extensions import db
from forum.mail import queue_mail
from forum.models import ROLES, RoleChange, User
from forum.models.base import utcnow
from forum.permissions import can_edit_settings, can_end_user_sessions
from forum.text import clean_line, clean_reason

_VERIFY_SALT = "forum.verify-email"
_RESET_SALT = "forum.reset-password"
# A real hash to compare against when the account does not exist, so that a login
# for an unknown email takes as long as one with a wrong password. Made once per
# hashing method (the first unknown login pays for it).
_DUMMY_HASH: str | None = None
_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    if _DUMMY_HASH is not None:  # tests replace it
        return _DUMMY_HASH
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash("not-a-real-password-0", method=method)
    return _DUMMY_HASHES[method]


class AccountError(ValidationError):
    """A refused account change; ``field`` names the form field it belongs to."""


def hash_password(password: str) -> str:
    """Werkzeug's scrypt at ``PASSWORD_HASH_METHOD`` (N=2^17, r=8, p=1 by default: the
    OWASP minimum; Werkzeug's own default is N=2^15)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def needs_rehash(stored: str) -> bool:
    """True when a stored hash was made with another method or a lower cost than
    ``PASSWORD_HASH_METHOD``: it is replaced at the member's next sign-in."""
    return stored.partition("$")[0] != current_app.config["PASSWORD_HASH_METHOD"]


def _unstorable(text: str) -> bool:
    """True for text no account can have: PostgreSQL refuses NUL in text parameters
    (a ``DataError``, so a 500), and no username or email may contain one."""
    return "\x00" in text


def find_user_by_login(login: str) -> User | None:
    """Find an account by email or username (case-insensitive)."""
    login = login.strip()
    if _unstorable(login):
        return None
    if "@" in login:
        return db.session.scalar(select(User).where(User.email_key == email_key(login), User.deleted_at.is_(None)))
    return db.session.scalar(select(User).where(User.username_key == username_key(login), User.deleted_at.is_(None)))


def get_user_by_username(username: str) -> User | None:
    if _unstorable(username):
        return None
    return db.session.scalar(select(User).where(User.username_key == username_key(username), User.deleted_at.is_(None)))


def create_user(*, username: str, email: str, password: str, role: str = "member", verified: bool = False) -> User:
    """Create an account after checking every rule; raises :class:`AccountError`."""
    name = check_username(username)
    check_password(password, username=name, email=email)
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}.")
    if _unstorable(email) or not email.strip():
        raise AccountError("Enter a valid email address.", field="email")
    if db.session.scalar(select(User.id).where(User.username_key == username_key(name))) or is_retired(name):
        raise AccountError("That username is taken.", field="username")
    if db.session.scalar(select(User.id).where(User.email_key == email_key(email))):
        raise AccountError("An account with that email address already exists.", field="email")
    user = User(
        username=name,
        username_key=username_key(name),
        email=email.strip(),
        email_key=email_key(email),
        password_hash=hash_password(password),
        role=role,
        email_verified_at=utcnow() if verified else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def register_account(*, username: str, email: str, password: str) -> User | None:
    """Registration from the public form. It answers the same whether or not the email
    already has an account: a new address gets an account and the verification mail;
    a known one gets a mail saying "you already have an account" and nothing is
    created (``None``). Both paths hash the password, so they take as long."""
    name = check_username(username)
    check_password(password, username=name, email=email)
    if _unstorable(email) or not email.strip():
        raise AccountError("Enter a valid email address.", field="email")
    if db.session.scalar(select(User.id).where(User.username_key == username_key(name))) or is_retired(name):
        raise AccountError("That username is taken.", field="username")
    existing = db.session.scalar(select(User).where(User.email_key == email_key(email)))
    if existing is not None:
        hash_password(password)  # the same work as a new account
        _mail_already_registered(existing)
        return None
    user = create_user(username=name, email=email, password=password)
    send_verification_mail(user)
    return user


def _mail_already_registered(user: User) -> None:
    brand = current_app.config["BRAND_NAME"]
    queue_mail(
        user.email,
        f"You already have a {brand} account",
        f"Hello {user.username},\n\nSomeone (perhaps you) tried to register a new {brand} account with this "
        f"email address. You already have an account: sign in at {url_for('accounts.login', _external=True)} "
        f"or, if you have forgotten the password, reset it at {url_for('accounts.reset_request', _external=True)}.\n"
        "If it was not you, you can ignore this message; nothing has changed.\n",
    )


def authenticate(login: str, password: str) -> User | None:
    user = find_user_by_login(login)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or user.is_deleted:
        return None
    if needs_rehash(user.password_hash):  # committed with the sign-in's session row
        user.password_hash = hash_password(password)
    return user


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=salt)


def make_verify_token(user: User) -> str:
    return _serializer(_VERIFY_SALT).dumps({"uid": user.id, "email": user.email_key})


def make_reset_token(user: User) -> str:
    # The hash fragment makes the link single-use: it stops matching once the
    # password changes.
    return _serializer(_RESET_SALT).dumps({"uid": user.id, "ph": user.password_hash[-16:]})


class TokenError(ActionError):
    pass


def _load(salt: str, token: str, max_age: int) -> dict:
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenError("This link has expired. Ask for a new one.") from exc
    except BadSignature as exc:
        raise TokenError("This link is not valid.") from exc
    if not isinstance(data, dict):
        raise TokenError("This link is not valid.")
    return data


def verify_email(token: str) -> User:
    """Mark the account behind a verification link as verified."""
    data = _load(_VERIFY_SALT, token, current_app.config["VERIFY_TOKEN_MAX_AGE"])
    user = db.session.get(User, data.get("uid"))
    if user is None or user.email_key != data.get("email"):
        raise TokenError("This link is not valid.")
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.flush()
    return user


def user_for_reset_token(token: str) -> User:
    data = _load(_RESET_SALT, token, current_app.config["RESET_TOKEN_MAX_AGE"])
    user = db.session.get(User, data.get("uid"))
    if user is None or user.password_hash[-16:] != data.get("ph"):
        raise TokenError("This link is not valid or has already been used.")
    return user


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    check_password(new_password, username=user.username, email=user.email)
    user.password_hash = hash_password(new_password)
    # Following a reset link proves the member reads that mailbox.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    # Whoever knew the old password (or held a session) is out, everywhere.
    sessions.end_sessions(user.id, reason="password_reset")
    sessions.record_event(user.id, "password_reset")
    db.session.flush()
    _mail_password_changed(user)
    return user


def change_password(user: User, *, current: str, new: str, keep_session_id: int | None) -> None:
    """Change a signed-in member's password after checking the current one; every other
    session ends, the member is told by email and the change is in their activity list."""
    if not check_password_hash(user.password_hash, current or ""):
        raise AccountError("That is not your current password.", field="current_password")
    check_password(new, username=user.username, email=user.email)
    if check_password_hash(user.password_hash, new):
        raise AccountError("Choose a password different from the current one.", field="password")
    user.password_hash = hash_password(new)
    sessions.end_sessions(user.id, reason="password_changed", keep_id=keep_session_id)
    sessions.record_event(user.id, "password_changed")
    db.session.flush()
    _mail_password_changed(user)


def _mail_password_changed(user: User) -> None:
    brand = current_app.config["BRAND_NAME"]
    queue_mail(
        user.email,
        f"Your {brand} password was changed",
        f"Hello {user.username},\n\nThe password of your {brand} account was just changed, and every other "
        "device signed in to it was signed out.\n\nIf that was not you, reset your password now with "
        f"{url_for('accounts.reset_request', _external=True)} and tell our Customer Care team.\n",
    )


def send_verification_mail(user: User) -> None:
    link = url_for("accounts.verify", token=make_verify_token(user), _external=True)
    brand = current_app.config["BRAND_NAME"]
    queue_mail(
        user.email,
        f"Confirm your email for {brand}",
        f"Hello {user.username},\n\nPlease confirm your email address to start posting:\n\n{link}\n\n"
        f"The link expires in {current_app.config['VERIFY_TOKEN_MAX_AGE'] // 3600} hours.\n"
        "If you did not register, ignore this message.\n",
    )


def request_password_reset(email: str) -> None:
    """Mail a reset link if the address has an account; say nothing either way."""
    if _unstorable(email):
        return
    user = db.session.scalar(select(User).where(User.email_key == email_key(email)))
    if user is None:
        return
    link = url_for("accounts.reset_with_token", token=make_reset_token(user), _external=True)
    queue_mail(
        user.email,
        f"Reset your {current_app.config['BRAND_NAME']} password",
        f"Hello {user.username},\n\nFollow this link to choose a new password:\n\n{link}\n\n"
        f"It expires in {current_app.config['RESET_TOKEN_MAX_AGE'] // 3600} hours and works once.\n"
        "If you did not ask for this, ignore this message; your password is unchanged.\n",
    )


def set_role(user: User, new_role: str, *, changed_by: User | None, reason: str) -> RoleChange | None:
    """Change a user's role and record who did it and why. Returns ``None`` when the
    role is already ``new_role``."""
    if new_role not in ROLES:
        raise AccountError(f"Unknown role {new_role!r}. Roles: {', '.join(ROLES)}.")
    reason = clean_reason(reason, required=True, required_message="A reason is required for every role change.", error=AccountError)
    if changed_by is not None and changed_by.id == user.id:
        raise AccountError("You cannot change your own role.")
    if user.role == new_role:
        return None
    change = RoleChange(user=user, changed_by=changed_by, old_role=user.role, new_role=new_role, reason=reason)
    user.role = new_role
    db.session.add(change)
    # New powers (or fewer) start with a fresh sign-in.
    if sessions.end_sessions(user.id, reason="role_changed"):
        sessions.record_event(user.id, "sessions_ended_role_change")
    db.session.flush()
    log_action(changed_by, "change_role", target_type="user", target_id=user.id, reason=reason, subject_user=user,
               summary=f"{change.old_role} → {new_role}")
    return change


def end_user_sessions_by_admin(user: User, *, actor: User | None) -> int:
    """An administrator signs a user out everywhere (a lost phone, a hijacked account)."""
    if actor is not None and not can_end_user_sessions(actor, user):
        raise PermissionDenied("Only administrators can sign another user out.")
    ended = sessions.end_sessions(user.id, reason="ended_by_admin")
    sessions.record_event(user.id, "sessions_ended_by_staff")
    db.session.flush()
    return ended


# --- settings ---------------------------------------------------------------------

DISPLAY_NAME_MAX = 50
#: "a former member" (deleted accounts, forum.accounts.self_service), squashed.
_FORMER_MEMBER_NAMES = frozenset({"aformermember", "formermember"})


def update_settings(user: User, *, display_name: str | None) -> None:
    """Change the member's display name (email choices: forum.notifications.preferences).
    Members cannot take a name that poses as staff or the brand."""
    if not can_edit_settings(user, user):
        raise PermissionDenied("Sign in to change your settings.")
    name = clean_line(display_name, field="display_name", max_length=DISPLAY_NAME_MAX,
                      length_message=f"The display name is at most {DISPLAY_NAME_MAX:,} characters long.", error=AccountError)
    if any(not ch.isprintable() for ch in name):
        raise AccountError("Display names cannot contain control characters.", field="display_name")
    if name and "".join(ch for ch in name.casefold() if ch.isalnum()) in _FORMER_MEMBER_NAMES:
        raise AccountError("That name is how the forum shows deleted accounts. Please choose another.",
                           field="display_name")
    if name and not user.is_staff:
        try:
            check_not_imitating_staff(name, except_user_id=user.id)
        except ValueError as exc:
            raise AccountError(str(exc), field="display_name") from exc
    user.display_name = name or None
    db.session.flush()
