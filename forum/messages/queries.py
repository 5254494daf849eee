"""Read-side selects for conversations. Every page runs a fixed number of queries."""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload, selectinload

from forum.extensions import db
from forum.models import Conversation, ConversationEvent, ConversationParticipant, Message, User
from forum.models.messages import KIND_TEAM
from forum.pagination import Page

PER_PAGE = 30
INBOX_FILTERS = ("all", "unassigned", "mine")


def get_conversation(conversation_id: int) -> Conversation | None:
    return db.session.scalar(
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .options(
            selectinload(Conversation.participants).joinedload(ConversationParticipant.user),
            joinedload(Conversation.member),
            joinedload(Conversation.assigned_to),
            joinedload(Conversation.topic),
        )
    )


def conversation_messages(conversation: Conversation) -> list[Message]:
    return list(
        db.session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id)
            .options(joinedload(Message.author))
            .order_by(Message.id)
        )
    )


def conversation_events(conversation: Conversation, *, team: bool) -> list[ConversationEvent]:
    stmt = select(ConversationEvent).where(ConversationEvent.conversation_id == conversation.id)
    if not team:
        stmt = stmt.where(ConversationEvent.team_only.is_(False))
    return list(
        db.session.scalars(
            stmt.options(joinedload(ConversationEvent.actor), joinedload(ConversationEvent.target_user)).order_by(
                ConversationEvent.id
            )
        )
    )


def user_conversations(user: User, page: int) -> Page:
    """The conversations ``user`` takes part in, latest activity first, each as
    ``(conversation, unread)``."""
    base = (
        select(Conversation, ConversationParticipant.last_read_message_id)
        .join(ConversationParticipant, ConversationParticipant.conversation_id == Conversation.id)
        .where(ConversationParticipant.user_id == user.id)
    )
    total = db.session.scalar(
        select(func.count(ConversationParticipant.id)).where(ConversationParticipant.user_id == user.id)
    ) or 0
    rows = db.session.execute(
        base.options(
            selectinload(Conversation.participants).joinedload(ConversationParticipant.user),
            joinedload(Conversation.member),
        )
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    items = [(conv, conv.last_message_id > last_read) for conv, last_read in rows]
    return Page(items, page, PER_PAGE, total)


def inbox(user: User, which: str, page: int) -> Page:
    """Open team conversations, oldest waiting first (those where the team replied
    last come after, least recently active first). ``which``: all, unassigned, mine."""
    cond = and_(Conversation.kind == KIND_TEAM, Conversation.is_closed.is_(False))
    if which == "unassigned":
        cond = and_(cond, Conversation.assigned_to_id.is_(None))
    elif which == "mine":
        cond = and_(cond, Conversation.assigned_to_id == user.id)
    total = db.session.scalar(select(func.count(Conversation.id)).where(cond)) or 0
    items = list(
        db.session.scalars(
            select(Conversation)
            .where(cond)
            .options(joinedload(Conversation.member), joinedload(Conversation.assigned_to))
            .order_by(
                Conversation.waiting_since.is_(None),
                Conversation.waiting_since,
                Conversation.last_message_at,
                Conversation.id,
            )
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        )
    )
    return Page(items, page, PER_PAGE, total)

