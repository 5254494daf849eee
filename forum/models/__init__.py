"""All models, in one package so that features can share them without import cycles."""

from forum.models.incidents import (
    AffectedReport,
    Incident,
    IncidentFollow,
    IncidentTopic,
    IncidentUpdate,
    IncidentUpdateRevision,
)
from forum.models.moderation import ModerationLogEntry
from forum.models.notifications import Notification
from forum.models.topics import Category, Post, Topic
from forum.models.users import ROLES, STAFF_ROLES, RoleChange, User

__all__ = [
    "AffectedReport",
    "Incident",
    "IncidentFollow",
    "IncidentTopic",
    "IncidentUpdate",
    "IncidentUpdateRevision",
    "ROLES",
    "STAFF_ROLES",
    "Category",
    "ModerationLogEntry",
    "Notification",
    "Post",
    "RoleChange",
    "Topic",
    "User",
]
