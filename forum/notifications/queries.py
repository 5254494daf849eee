"""Read side of notifications: the member's list and their subscription to a topic."""

from __future__ import annotations

from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Notification, Topic, TopicSubscription, User
from forum.pagination import Page

PER_PAGE = 30


def notifications_page(user: User, page: int, per_page: int | None = None) -> Page:
    """``user``'s notifications, newest first (two queries). Replies are already grouped
    by topic when written (one unread notification per topic counts them)."""
    per_page = per_page or PER_PAGE
    base = select(Notification).where(Notification.user_id == user.id)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    items = list(
        db.session.scalars(
            base.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(per_page).offset((page - 1) * per_page)
        )
    )
    return Page(items, page, per_page, total)


def unread_count(user: User) -> int:
    """How many of ``user``'s notifications are unread."""
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def own_notification(user: User, notification_id: int) -> Notification | None:
    """One of ``user``'s notifications, or ``None`` (someone else's counts as missing)."""
    note = db.session.get(Notification, notification_id)
    return note if note is not None and note.user_id == user.id else None


def subscription_state(user: User, topic: Topic) -> str | None:
    """``watching``, ``muted`` or ``None`` (no stored choice)."""
    return db.session.scalar(
        select(TopicSubscription.state).where(TopicSubscription.user_id == user.id, TopicSubscription.topic_id == topic.id)
    )
