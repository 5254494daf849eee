"""Email about notifications: immediately (a delivery hook) or as a daily digest.

Members choose in their settings: ``off``, ``immediate`` or ``daily``. Mail goes
through the foundation's outbox or SMTP (:mod:`forum.mail`). ``Notification.emailed_at``
records what was sent, so the digest is safe to run twice."""

from __future__ import annotations

from flask import current_app, has_request_context, request
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from forum.extensions import db
from forum.mail import build_message, deliver, queue_mail
from forum.models import Notification, User
from forum.models.base import utcnow

DIGEST_MAX_ITEMS = 50


def absolute(path: str) -> str:
    base = request.host_url if has_request_context() else current_app.config.get("SITE_URL") or ""
    return base.rstrip("/") + path


def _brand() -> str:
    return current_app.config["BRAND_NAME"]


def deliver_immediately(session: Session, notes: list[Notification]) -> None:
    """Delivery hook (see ``forum.notify.delivery_hooks``): mail each
    new notification to members who chose ``immediate``, once its row is committed."""
    pending = [n for n in notes if n.emailed_at is None]
    if not pending:
        return
    users = {
        u.id: u
        for u in session.scalars(
            select(User).where(
                User.id.in_({n.user_id for n in pending}),
                User.email_notifications == "immediate",
                User.email_verified_at.is_not(None),
            )
        )
    }
    messages = []
    now = utcnow()
    for note in pending:
        user = users.get(note.user_id)
        if user is None:
            continue
        body = f"Hello {user.shown_name},\n\n{note.text}\n\n{absolute(note.url)}\n\nChange how we email you: {absolute('/settings')}\n"
        subject = " ".join(f"[{_brand()}] {note.text}".split())[:200]  # no newlines in a header
        messages.append(build_message(user.email, subject, body))
        note.emailed_at = now
    if messages:
        app = current_app._get_current_object()

        def _send(_session) -> None:
            with app.app_context():
                for msg in messages:
                    try:
                        deliver(msg)
                    except Exception:  # one bad address must not stop the others
                        app.logger.exception("notification email to %s failed", msg["To"])

        event.listen(session, "after_commit", _send, once=True)


def send_digests() -> int:
    """Queue one digest mail per ``daily`` member with notifications not yet emailed,
    and mark them emailed. The caller commits; the mail leaves after the commit.
    Returns the number of digests."""
    rows = db.session.execute(
        select(Notification, User)
        .join(User, User.id == Notification.user_id)
        .where(
            User.email_notifications == "daily",
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
            + f"\n\nChange how we email you: {absolute('/settings')}\n"
        )
        queue_mail(user.email, f"[{_brand()}] Your daily digest ({len(lines)} new)", body)
    db.session.flush()
    return sum(1 for user, notes in by_user.values() if any(n.read_at is None for n in notes))
