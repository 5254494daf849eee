"""All models, in one package so that features can share them without import cycles."""

from forum.models.account_deletions import AccountDeletion
from forum.models.api_tokens import API_SCOPES, API_TOKEN_KINDS, ApiToken
from forum.models.cases import CaseTransition
from forum.models.email_preferences import EmailPreference
from forum.models.flags import FLAG_REASONS, Appeal, Flag
from forum.models.helpdesk import Kudos, TopicSubscription
from forum.models.idempotency import SubmissionRecord
from forum.models.inbound_mail import InboundMail
from forum.models.incidents import (
    AffectedReport,
    Incident,
    IncidentFollow,
    IncidentTopic,
    IncidentUpdate,
    IncidentUpdateRevision,
)
from forum.models.insights import (
    FoundSurvey,
    InsightDaily,
    InsightRollupState,
    InsightTermHour,
    InsightTopicFact,
)
from forum.models.jobs import JobOutbox
from forum.models.messages import Conversation, ConversationEvent, ConversationParticipant, Message, TopicContact
from forum.models.moderation import ModerationLogEntry
from forum.models.notifications import Notification
from forum.models.people import Upload
from forum.models.qa_events import (
    Answer,
    AnswerRevision,
    QAEvent,
    QAEventSubscription,
    QAEventTransition,
    Question,
    QuestionVote,
)
from forum.models.reading import TopicRead
from forum.models.revisions import PostRevision, SilentEditError, TopicRevision
from forum.models.search import SearchDeflection, SearchEvent, SearchOutbox, SearchSynonym
from forum.models.search_pg import SearchDocument, SearchWord
from forum.models.sso import SsoLink
from forum.models.staff_tools import InternalNote, SavedReply
from forum.models.topics import Category, PageGeneration, Post, Topic
from forum.models.two_factor import RecoveryCode, TwoFactor
from forum.models.users import FORMER_MEMBER, ROLES, STAFF_ROLES, AccountEvent, RoleChange, User, UserSession
from forum.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "API_SCOPES",
    "API_TOKEN_KINDS",
    "ApiToken",
    "InboundMail",
    "SsoLink",
    "Upload",
    "JobOutbox",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "AccountDeletion",
    "AccountEvent",
    "FORMER_MEMBER",
    "EmailPreference",
    "RecoveryCode",
    "SubmissionRecord",
    "TwoFactor",
    "UserSession",
    "FLAG_REASONS",
    "FoundSurvey",
    "InsightDaily",
    "InsightRollupState",
    "InsightTermHour",
    "InsightTopicFact",
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
    "CaseTransition",
    "Category",
    "Conversation",
    "ConversationEvent",
    "ConversationParticipant",
    "Message",
    "InternalNote",
    "Kudos",
    "ModerationLogEntry",
    "Notification",
    "PageGeneration",
    "Post",
    "RoleChange",
    "SearchDeflection",
    "SearchDocument",
    "TopicRead",
    "SearchEvent",
    "SearchOutbox",
    "SavedReply",
    "SearchSynonym",
    "SearchWord",
    "Topic",
    "TopicContact",
    "TopicSubscription",
    "User",
]
