"""All models, in one package so that features can share them without import cycles."""

from forum.models.flags import FLAG_REASONS, Appeal, Flag
from forum.models.helpdesk import Kudos, TopicSubscription
from forum.models.incidents import (
    AffectedReport,
    Incident,
    IncidentFollow,
    IncidentTopic,
    IncidentUpdate,
    IncidentUpdateRevision,
)
from forum.models.messages import Conversation, ConversationEvent, ConversationParticipant, Message, TopicContact
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
from forum.models.revisions import PostRevision, SilentEditError, TopicRevision
from forum.models.search import SearchDeflection, SearchEvent, SearchOutbox, SearchSynonym
from forum.models.search_pg import SearchDocument, SearchWord
from forum.models.topics import Category, Post, Topic
from forum.models.users import ROLES, STAFF_ROLES, AccountEvent, RoleChange, User, UserSession

__all__ = [
    "AccountEvent",
    "UserSession",
    "FLAG_REASONS",
    "Appeal",
    "Flag",
    "PostRevision",
    "SilentEditError",
    "TopicRevision",
    "AffectedReport",
    "Incident",
    "IncidentFollow",
    "IncidentTopic",
    "IncidentUpdate",
    "IncidentUpdateRevision",
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
    "Conversation",
    "ConversationEvent",
    "ConversationParticipant",
    "Message",
    "Kudos",
    "ModerationLogEntry",
    "Notification",
    "Post",
    "RoleChange",
    "SearchDeflection",
    "SearchDocument",
    "SearchEvent",
    "SearchOutbox",
    "SearchSynonym",
    "SearchWord",
    "Topic",
    "TopicContact",
    "TopicSubscription",
    "User",
]
