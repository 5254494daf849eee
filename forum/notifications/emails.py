"""Email about notifications: immediately (a delivery hook) or as a daily digest.

Members choose per category (:mod:`forum.notifications.preferences`): ``off``,
``immediate`` or ``daily``. Mail goes through the foundation's outbox or SMTP
(:mod:`forum.mail`). ``Notification.emailed_at`` records what was sent, so the digest is
safe to run twice. Every mail carries a signed one-click unsubscribe link for its kind,
in the body and in the ``List-Unsubscribe`` / ``List-Unsubscribe-Post`` headers."""

from __future__ import annotations

import uuid

from flask import current_app, has_request_context, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.extensions import db
from forum.jobqueue import periodic
from forum.mail import queue_mail
from forum.mailin.tokens import reply_headers
from forum.models import EmailPreference, Notification, User
from forum.models.base import utcnow
from forum.notifications import preferences

DIGEST_MAX_ITEMS = 50
SETTINGS_PATH = "/settings/notifications"
#: Added to a mail that carries a reply address (forum.mailin).
REPLY_HINT = "\n\nReply to this email to answer (write above the quoted text; replies in topics are public)."


def absolute(path: str) -> str:
    base = request.host_url if has_request_context() else current_app.config.get("SITE_URL") or ""
    return base.rstrip("/") + path


def _brand() -> str:
    return current_app.config["BRAND_NAME"]


def unsubscribe_url(user_id: int, kind: str) -> str:
    return absolute(f"/unsubscribe/{preferences.unsubscribe_token(user_id, kind)}")


def unsubscribe_headers(user_id: int, kind: str) -> dict[str, str]:
    """RFC 2369 / RFC 8058 headers: mail clients show an "Unsubscribe" button that
    POSTs to the link, without the member signing in."""
    headers = {"List-Unsubscribe": f"<{unsubscribe_url(user_id, kind)}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    mailto = current_app.config.get("UNSUBSCRIBE_MAILTO")
    if mailto:
        headers["List-Unsubscribe"] += f", <mailto:{mailto}?subject=unsubscribe>"
    return headers


def _footer(user_id: int, kind: str) -> str:
    return (f"\n\nStop these emails ({preferences.describe(kind).lower()}): {unsubscribe_url(user_id, kind)}"
            f"\nChange how we email you: {absolute(SETTINGS_PATH)}\n")


def deliver_immediately(session: Session, notes: list[Notification]) -> None:
    """Delivery hook (see ``forum.notify.delivery_hooks``): mail each new notification
    whose category the member gets ``immediate``ly: a ``mail.send`` job each, written
    in the fan-out's transaction."""
    pending = [n for n in notes if n.emailed_at is None]
    if not pending:
        return
    ids = [n.id for n in pending]
    rows = session.execute(
        select(Notification.id, User)
        .join(User, User.id == Notification.user_id)
        .outerjoin(EmailPreference, preferences.preference_join())
        .where(Notification.id.in_(ids), User.email_verified_at.is_not(None), preferences.mode_column() == "immediate")
    ).all()
    users = {note_id: user for note_id, user in rows}
    now = utcnow()
    for note in pending:
        user = users.get(note.id)
        if user is None:
            continue
        headers = {**unsubscribe_headers(user.id, note.category),
                   **reply_headers(user, topic_id=note.topic_id, url=note.url, kind=note.kind)}
        hint = REPLY_HINT if "Reply-To" in headers else ""
        body = f"Hello {user.shown_name},\n\n{note.text}\n\n{absolute(note.url)}{hint}" + _footer(user.id, note.category)
        subject = " ".join(f"[{_brand()}] {note.text}".split())[:200]  # no newlines in a header
        # A mail.send job in the fan-out's transaction: it exists exactly when the
        # notification (and its emailed_at) does, and runs once.
        queue_mail(user.email, subject, body, headers=headers,
                   key=f"notification-mail:{note.id}:{note.count}:{uuid.uuid4().hex[:8]}")
        note.emailed_at = now


def send_digests() -> int:
    """Queue one digest mail per member with ``daily`` notifications not yet emailed,
    and mark them emailed. The caller commits; the mail leaves after the commit.
    Returns the number of digests."""
    rows = db.session.execute(
        select(Notification, User)
        .join(User, User.id == Notification.user_id)
        .outerjoin(EmailPreference, preferences.preference_join())
        .where(
            preferences.mode_column() == "daily",
            User.email_verified_at.is_not(None),
            Notification.emailed_at.is_(None),
        )
        .order_by(Notification.user_id, Notification.created_at, Notification.id)
        .with_for_update(of=Notification, skip_locked=True)
    ).all()
    by_user: dict[int, tuple[User, list[Notification]]] = {}
    for note, user in rows:
        by_user.setdefault(user.id, (user, []))[1].append(note)
    now = utcnow()
    sent = 0
    for user, notes in by_user.values():
        lines = [f"- {n.text}\n  {absolute(n.url)}" for n in notes[-DIGEST_MAX_ITEMS:] if n.read_at is None]
        for n in notes:
            n.emailed_at = now
        if not lines:
            continue  # all read already: nothing worth mailing
        more = len(notes) - DIGEST_MAX_ITEMS
        body = (
            f"Hello {user.shown_name},\n\nHere is what happened on {_brand()} since your last digest:\n\n"
            + "\n".join(lines)
            + (f"\n\n... and {more} more: {absolute('/notifications')}" if more > 0 else "")
            + _footer(user.id, preferences.DIGEST)
        )
        queue_mail(user.email, f"[{_brand()}] Your daily digest ({len(lines)} new)", body,
                   headers=unsubscribe_headers(user.id, preferences.DIGEST))
        sent += 1
    db.session.flush()
    return sent


@periodic("notifications.send_digests")
def send_digests_periodic() -> int:
    """Celery beat's daily digest run (``forum notifications send-digests`` for cron)."""
    return send_digests()
