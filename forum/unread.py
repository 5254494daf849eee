"""The unread counts the page header shows: notifications and conversations.

One query each, only for a signed-in viewer. Core, so the header needs no feature.
"""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Conversation, ConversationParticipant, Notification, User


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


def header_notifications() -> int:
    """For the header: the signed-in viewer's unread notifications, 0 for visitors."""
    return unread_notifications(current_user) if current_user.is_authenticated else 0


def header_messages() -> int:
    """For the header: the signed-in viewer's unread conversations, 0 for visitors."""
    return unread_conversations(current_user) if current_user.is_authenticated else 0
