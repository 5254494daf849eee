"""All models, in one package so that features can share them without import cycles."""

from forum.models.moderation import ModerationLogEntry
from forum.models.notifications import Notification
from forum.models.qa_events import (
    Answer,
    AnswerRevision,
    QAEvent,
    QAEventSubscription,
    QAEventTransition,
    Question,
    QuestionVote,
)
from forum.models.topics import Category, Post, Topic
from forum.models.users import ROLES, STAFF_ROLES, RoleChange, User

__all__ = [
    "Answer",
    "AnswerRevision",
    "QAEvent",
    "QAEventSubscription",
    "QAEventTransition",
    "Question",
    "QuestionVote",
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
