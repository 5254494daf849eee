"""All models, in one package so that features can share them without import cycles."""

from forum.models.helpdesk import Kudos, TopicSubscription
from forum.models.moderation import ModerationLogEntry
from forum.models.notifications import Notification
from forum.models.topics import Category, Post, Topic
from forum.models.users import ROLES, STAFF_ROLES, RoleChange, User

__all__ = [
    "ROLES",
    "STAFF_ROLES",
    "Category",
    "Kudos",
    "ModerationLogEntry",
    "Notification",
    "Post",
    "RoleChange",
    "Topic",
    "TopicSubscription",
    "User",
]
