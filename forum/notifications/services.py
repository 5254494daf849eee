"""Notification writes: topic subscriptions, reply notifications, marking read.

Services check permissions, write and flush; the caller commits. Notifications are
created through :func:`forum.notify.notify` (written after the commit)."""

from __future__ import annotations

from sqlalchemy import select, update

from forum.actions import ActionError, PermissionDenied
from forum.extensions import db
from forum.models import Notification, Post, Topic, TopicSubscription, User
from forum.models.base import utcnow
from forum.models.helpdesk import MUTED, WATCHING
from forum.notify import notify
from forum.permissions import can_subscribe_topic


class NotificationError(ActionError):
    """A refused notification or subscription change."""


def post_path(post: Post) -> str:
    return f"/p/{post.id}"


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one (or all) of ``user``'s notifications read. Returns how many changed."""
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    return db.session.execute(stmt.values(read_at=utcnow())).rowcount


# --- subscriptions ----------------------------------------------------------------


def set_subscription(topic: Topic, *, user: User, state: str) -> None:
    """``watching`` (notify me of replies) or ``muted`` (never notify me about this topic)."""
    if not can_subscribe_topic(user, topic):
        raise PermissionDenied("Sign in to follow topics.")
    if state not in (WATCHING, MUTED):
        raise NotificationError("Choose to follow or to mute the topic.", field="state")
    sub = db.session.scalar(
        select(TopicSubscription).where(TopicSubscription.user_id == user.id, TopicSubscription.topic_id == topic.id)
    )
    if sub is None:
        db.session.add(TopicSubscription(user_id=user.id, topic_id=topic.id, state=state))
    else:
        sub.state = state
    db.session.flush()


def on_post_created(post: Post) -> None:
    """Subscribe the poster and notify subscribers of a reply: each once, never the
    reply's author, never someone who muted the topic."""
    topic = post.topic
    author = post.author
    subs = dict(
        db.session.execute(
            select(TopicSubscription.user_id, TopicSubscription.state).where(TopicSubscription.topic_id == topic.id)
        ).all()
    )
    if author.id not in subs:
        db.session.add(TopicSubscription(user_id=author.id, topic_id=topic.id, state=WATCHING))
        subs[author.id] = WATCHING
    db.session.flush()
    if post.is_first:
        return
    # The topic's author follows it by default, even without a stored row.
    subs.setdefault(topic.author_id, WATCHING)
    parent_author_id = post.parent.author_id if post.parent_id is not None else None
    title = topic.title
    # One unread notification per topic and member, counting the new replies.
    common = dict(kind="reply", actor=author, url=post_path(post), topic=topic, group_key=f"replies:{topic.id}",
                  grouped_text=lambda n: f"{n} new replies in “{title}”.")
    if parent_author_id is not None and subs.get(parent_author_id) != MUTED:
        notify([parent_author_id], category="replies", text=f"{author.shown_name} replied to your post in “{title}”.",
               **common)
    if subs.get(topic.author_id) == WATCHING:
        notify([topic.author_id], category="replies", text=f"{author.shown_name} replied in your topic “{title}”.",
               **common)
    watchers = [uid for uid, state in subs.items()
                if state == WATCHING and uid not in (parent_author_id, topic.author_id)]
    notify(watchers, category="watched", text=f"{author.shown_name} replied in “{title}”.", **common)
