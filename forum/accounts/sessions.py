"""Server-side sessions: every sign-in is a :class:`~forum.models.UserSession` row.

The browser's session cookie and remember cookie (both Flask-Login's) carry only a
random token (``User.get_id()`` returns it, Flask-Login's "alternative id" pattern);
the row stores its SHA-256. ``load_user`` is the ``user_loader``: a token whose row has
ended, or has been idle too long, is anonymous, so ending a row signs that browser out
at once, whatever cookies it kept.

Writes outside a request's own transaction, each in a short transaction of its own on a
separate connection:

* :func:`rotate_after_cookie_login` (Flask-Login's ``user_loaded_from_cookie``): a
  remember cookie that signs a browser back in is replaced by a new token, so a copied
  remember cookie works at most once.
* :func:`touch_after_request` (a ``teardown_appcontext`` hook that runs after
  Flask-SQLAlchemy has closed the request's session): ``last_seen_at`` is written at most
  once per ``SESSION_TOUCH_SECONDS`` per session, never inside a GET's transaction.

Services here flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app, g, has_request_context, request, session
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from forum import listcache, unread
from forum.extensions import db
from forum.models import AccountEvent, TopicRead, User, UserSession
from forum.models.base import utcnow

log = logging.getLogger(__name__)

#: Longest token accepted from a cookie (ours are 43 characters).
_TOKEN_MAX = 100

#: What members read in their account activity list.
EVENT_LABELS = {
    "signed_in": "Signed in",
    "signed_out": "Signed out",
    "session_ended": "Ended a session",
    "signed_out_everywhere": "Signed out everywhere",
    "password_changed": "Changed the password",
    "password_reset": "Reset the password with an emailed link",
    "sessions_ended_by_staff": "Signed out everywhere by an administrator",
    "sessions_ended_role_change": "Signed out everywhere after a role change",
    "sessions_ended_suspension": "Signed out everywhere by a suspension",
    "email_change_requested": "Asked to change the email address (link sent to the new address)",
    "email_changed": "Changed the email address",
    "data_exported": "Downloaded a copy of your data",
    "two_factor_enabled": "Turned on two-factor sign-in",
    "two_factor_disabled": "Turned off two-factor sign-in",
    "two_factor_reset_by_staff": "Two-factor sign-in reset by an administrator",
    "recovery_code_used": "Signed in with a recovery code",
    "sso_linked": "Linked a sign-in provider account",
}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


# --- where from ----------------------------------------------------------------------

_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Safari/", "Safari"), ("curl/", "curl"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def device_label(user_agent: str | None) -> str:
    """A short, plain description of a User-Agent: "Firefox on Windows"."""
    ua = (user_agent or "")[:500]
    browser = next((name for key, name in _BROWSERS if key in ua), None)
    system = next((name for key, name in _SYSTEMS if key in ua), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system
    cleaned = re.sub(r"[^\w ./-]", "", ua)[:40].strip()
    return cleaned or "Unknown device"


def ip_prefix(address: str | None) -> str:
    """The network an address belongs to (/24 for IPv4, /48 for IPv6), never the address."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "unknown"
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    bits = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


def _where_from() -> tuple[str, str]:
    if not has_request_context():
        return "Command line", "unknown"
    return device_label(request.headers.get("User-Agent")), ip_prefix(request.remote_addr)


# --- the account activity log --------------------------------------------------------


def record_event(user_id: int, kind: str, detail: str | None = None) -> AccountEvent:
    """Add an entry to the member's account activity list (flushes with the caller)."""
    device, prefix = _where_from()
    event = AccountEvent(user_id=user_id, kind=kind, detail=(detail or None) and detail[:200], device=device, ip_prefix=prefix)
    db.session.add(event)
    return event


def recent_events(user: User, limit: int = 20) -> list[AccountEvent]:
    return list(db.session.scalars(
        select(AccountEvent).where(AccountEvent.user_id == user.id).order_by(AccountEvent.id.desc()).limit(limit)))


# --- sign-in, loading, ending --------------------------------------------------------


def _idle_limit(remember: bool) -> timedelta:
    if remember:
        return current_app.config["REMEMBER_COOKIE_DURATION"]
    return timedelta(hours=int(current_app.config["SESSION_IDLE_HOURS"]))


def start_session(user: User, *, remember: bool, second_factor_passed: bool = False, via: str | None = None) -> str:
    """Open a session for ``user`` and return its token; sets ``user.session_token`` so
    that Flask-Login's ``login_user(user)`` stores the token, not the user id.

    ``second_factor_passed``: the sign-in already proved a second factor (a staff
    identity provider asserting MFA, forum.sso), so the forum's own step is skipped.
    ``via`` names how the member signed in, for their activity list."""
    from forum.accounts import two_factor

    token = new_token()
    device, prefix = _where_from()
    pending = False if second_factor_passed else two_factor.needed_at_sign_in(user)
    db.session.add(UserSession(user_id=user.id, token_hash=hash_token(token), device=device, ip_prefix=prefix,
                               remember=bool(remember), needs_second_factor=pending))
    record_event(user.id, "signed_in", via)
    db.session.flush()
    user.session_token = token
    user.two_factor_pending = pending
    return token


_LOAD_STATEMENTS: dict[bool, Any] = {}


def _load_statement(with_extras: bool):
    """The session load, built once per shape (a select is costly to build, cheap to
    reuse): the session row and its user, and for a GET also the header's unread counts
    (forum.unread) and the member's reads version (forum.listcache), so a signed-in page
    asks nothing more for them."""
    stmt = _LOAD_STATEMENTS.get(with_extras)
    if stmt is None:
        columns = [UserSession.id, UserSession.last_seen_at, UserSession.remember, UserSession.needs_second_factor, User]
        if with_extras:
            reads = (select(func.max(TopicRead.updated_at)).where(TopicRead.user_id == User.id)
                     .correlate_except(TopicRead).scalar_subquery())
            columns += [*unread.header_columns(User.id), reads]
        stmt = _LOAD_STATEMENTS[with_extras] = (
            select(*columns)
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == bindparam("token_hash"), UserSession.ended_at.is_(None))
        )
    return stmt


def load_user(token: str) -> User | None:
    """Flask-Login's ``user_loader``: the user of a live session, else ``None``. One query
    (which on a GET also brings the header's counts and the reads version)."""
    if not isinstance(token, str) or not token or len(token) > _TOKEN_MAX:
        return None
    extras = unread.wants_header_counts()
    row = db.session.execute(_load_statement(extras), {"token_hash": hash_token(token)}).first()
    if row is None:
        return None
    session_id, last_seen, remember, pending, user = row[:5]
    if last_seen < utcnow() - _idle_limit(remember):
        return None
    user.session_token = token
    #: The second step (forum.accounts.two_factor) is still to pass in this session.
    user.two_factor_pending = bool(pending)
    g._forum_session = (session_id, last_seen)
    if extras:
        notifications, conversations, reads = row[5:]
        unread.loaded_header_counts(notifications, conversations)
        listcache.loaded_reads_version(user.id, reads)
    return user


def current_session_id() -> int | None:
    """The id of the request's session row, when a signed-in user was loaded."""
    info = g.get("_forum_session")
    return info[0] if info else None


def active_sessions(user: User) -> list[UserSession]:
    """The member's live sessions, most recently used first (ended and idle ones left out)."""
    rows = db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()).limit(100))
    now = utcnow()
    return [s for s in rows if s.last_seen_at >= now - _idle_limit(s.remember)]


def end_sessions(user_id: int, *, reason: str, keep_id: int | None = None) -> int:
    """End every live session of a user (except ``keep_id``); returns how many ended."""
    stmt = (update(UserSession)
            .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
            .values(ended_at=utcnow(), end_reason=reason)
            .execution_options(synchronize_session=False))
    if keep_id is not None:
        stmt = stmt.where(UserSession.id != keep_id)
    return db.session.execute(stmt).rowcount or 0


def end_session(user: User, session_id: int, *, reason: str) -> bool:
    """End one of ``user``'s own sessions; ``False`` if it is not theirs or already ended."""
    stmt = (update(UserSession)
            .where(UserSession.id == session_id, UserSession.user_id == user.id, UserSession.ended_at.is_(None))
            .values(ended_at=utcnow(), end_reason=reason)
            .execution_options(synchronize_session=False))
    return bool(db.session.execute(stmt).rowcount)


# --- outside the request's transaction -----------------------------------------------


def rotate_after_cookie_login(sender, user: User, **extra) -> None:
    """A remember cookie signed the browser in: give the session a new token and the
    browser a new remember cookie, so the old cookie value never works again."""
    old = getattr(user, "session_token", None)
    if not old:
        return
    token = new_token()
    try:
        with db.engine.begin() as conn:
            changed = conn.execute(
                update(UserSession.__table__)
                .where(UserSession.token_hash == hash_token(old), UserSession.ended_at.is_(None))
                .values(token_hash=hash_token(token), last_seen_at=utcnow())
            ).rowcount
    except SQLAlchemyError:  # keep the old token rather than fail the page
        log.exception("could not rotate a remember token")
        return
    if changed:
        user.session_token = token
        session["_user_id"] = token
        session["_remember"] = "set"  # Flask-Login writes the new remember cookie
        info = g.get("_forum_session")
        if info:
            g._forum_session = (info[0], utcnow())


def touch_after_request(exc: BaseException | None = None) -> None:
    """Record when a session was last used, at most once per ``SESSION_TOUCH_SECONDS``."""
    info = g.pop("_forum_session", None)
    if not info:
        return
    session_id, last_seen = info
    now = utcnow()
    threshold = now - timedelta(seconds=int(current_app.config["SESSION_TOUCH_SECONDS"]))
    if last_seen >= threshold:
        return
    try:
        with db.engine.begin() as conn:
            conn.execute(
                update(UserSession.__table__)
                .where(UserSession.id == session_id, UserSession.last_seen_at < threshold)
                .values(last_seen_at=now)
            )
    except SQLAlchemyError:  # a lost "last seen" must never cost the member their page
        log.exception("could not record a session's last use")
