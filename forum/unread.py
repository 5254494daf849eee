"""The unread counts the page header shows: notifications and conversations.

One query for both, only for a signed-in viewer. Core, so the header needs no feature.

Opening a topic marks the viewer's notifications about it read
(:func:`viewing_topic`): the same one query gives the header its count without them,
and the UPDATE runs after the page is built, in a short transaction of its own.
"""

from __future__ import annotations

from flask import after_this_request, current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from forum.extensions import db
from forum.models import Conversation, ConversationParticipant, Notification, User
from forum.models.base import utcnow

_G_KEY = "forum_unread_notifications"
_G_MESSAGES_KEY = "forum_unread_conversations"


def unread_notifications(user: User) -> int:
    """How many of ``user``'s notifications are unread."""
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def unread_conversations(user: User) -> int:
    """How many of ``user``'s conversations have a message they have not seen."""
    return db.session.scalar(
        select(func.count(ConversationParticipant.id))
        .join(Conversation, Conversation.id == ConversationParticipant.conversation_id)
        .where(
            ConversationParticipant.user_id == user.id,
            Conversation.last_message_id > ConversationParticipant.last_read_message_id,
        )
    ) or 0


def _unread_conversations_count(user_id: int):
    return (
        select(func.count(ConversationParticipant.id))
        .join(Conversation, Conversation.id == ConversationParticipant.conversation_id)
        .where(
            ConversationParticipant.user_id == user_id,
            Conversation.last_message_id > ConversationParticipant.last_read_message_id,
        )
        .scalar_subquery()
    )


def header_columns(user_id):
    """The header's two counts as scalar subqueries correlated to ``user_id`` (a column,
    e.g. ``User.id``), so the session load (forum.accounts.sessions) brings them in its
    own query: a signed-in GET page then runs no query for its header."""
    notifications = (
        select(func.count(Notification.id))
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .correlate_except(Notification)
        .scalar_subquery()
    )
    conversations = (
        select(func.count(ConversationParticipant.id))
        .join(Conversation, Conversation.id == ConversationParticipant.conversation_id)
        .where(
            ConversationParticipant.user_id == user_id,
            Conversation.last_message_id > ConversationParticipant.last_read_message_id,
        )
        .correlate_except(ConversationParticipant, Conversation)
        .scalar_subquery()
    )
    return notifications, conversations


def wants_header_counts() -> bool:
    """Whether the session load should bring the header's counts: only for a GET (or
    HEAD), which writes nothing before its page is rendered, so counts read at the start
    are the counts at the end. Other requests count when the header asks."""
    return has_request_context() and request.method in ("GET", "HEAD")


def loaded_header_counts(notifications: int | None, conversations: int | None) -> None:
    """The counts the session load read (see :func:`header_columns`), for this request."""
    setattr(g, _G_KEY, notifications or 0)
    setattr(g, _G_MESSAGES_KEY, conversations or 0)


def header_notifications() -> int:
    """For the header: the signed-in viewer's unread notifications, 0 for visitors. The
    same query brings the unread conversations for :func:`header_messages`."""
    if not current_user.is_authenticated:
        return 0
    if _G_KEY not in g:
        notifications, conversations = db.session.execute(
            select(
                select(func.count(Notification.id))
                .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
                .scalar_subquery(),
                _unread_conversations_count(current_user.id),
            )
        ).one()
        setattr(g, _G_KEY, notifications or 0)
        setattr(g, _G_MESSAGES_KEY, conversations or 0)
    return getattr(g, _G_KEY)


def viewing_topic(topic_id: int) -> None:
    """The signed-in viewer opened a topic: its notifications count as read in this
    page's header, and are marked read once the response is built. Costs the header's
    one count query (no more) and, only when there is something to mark, one bounded
    UPDATE on the (user, topic, read_at) index."""
    if not current_user.is_authenticated:
        return
    if getattr(g, _G_KEY, None) == 0 and _G_MESSAGES_KEY in g:
        return  # the session load counted no unread notification at all: none about this topic
    total, here, conversations = db.session.execute(
        select(
            func.count(Notification.id),
            func.count(case((Notification.topic_id == topic_id, Notification.id))),
            _unread_conversations_count(current_user.id),
        ).where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
    ).one()
    setattr(g, _G_KEY, total - here)
    setattr(g, _G_MESSAGES_KEY, conversations or 0)
    if not here:
        return
    user_id, seen_at = current_user.id, utcnow()

    @after_this_request
    def _mark_read(response):
        try:
            mark_topic_read(user_id, topic_id, before=seen_at)
        except SQLAlchemyError:  # the page is built: the notifications stay unread, nothing fails
            current_app.logger.warning("could not mark topic %s read for user %s", topic_id, user_id, exc_info=True)
        return response


def mark_topic_read(user_id: int, topic_id: int, *, before=None) -> int:
    """Mark ``user_id``'s unread notifications about ``topic_id`` read, in a short
    transaction of its own (the page view is a GET: its session writes nothing). With
    ``before``, only those last updated by then: a reply that arrived while the page
    was being built stays unread."""
    stmt = update(Notification).where(
        Notification.user_id == user_id, Notification.topic_id == topic_id, Notification.read_at.is_(None))
    if before is not None:
        stmt = stmt.where(Notification.created_at <= before)
    with db.engine.begin() as conn:
        return conn.execute(
            stmt.values(read_at=utcnow())
        ).rowcount


def header_messages() -> int:
    """For the header: the signed-in viewer's unread conversations, 0 for visitors (read
    with the notifications' count when the header asked for that first)."""
    if not current_user.is_authenticated:
        return 0
    if _G_MESSAGES_KEY in g:
        return getattr(g, _G_MESSAGES_KEY)
    return unread_conversations(current_user)
