"""Read-side selects the features do not have already: every topic (not one board's)
in the boards' order, the private cases, their messages, and the token lists. Where a
feature has the query (a board's topics, a topic's page, the queue, the timeline),
the API calls that one instead."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.models import ApiToken, Conversation, Message, Topic, TopicContact, User
from forum.models.cases import OPEN_STATES, RESOLVED
from forum.pagination import Page

CASES_PER_PAGE = 50


def _status_condition(status: str):
    """The boards' status filters (forum.topics.queries.STATUSES), on the case state."""
    return {
        "unanswered": Topic.reply_count == 0,
        "unresolved": Topic.state.in_(OPEN_STATES),
        "resolved": Topic.state == RESOLVED,
    }.get(status)


def all_topics(page: int, status: str = "all") -> Page:
    """Every board's topics (merged ones left out), latest activity first."""
    per_page = current_app.config["TOPICS_PER_PAGE"]
    conds = [Topic.merged_into_id.is_(None)]
    cond = _status_condition(status)
    if cond is not None:
        conds.append(cond)
    total = db.session.scalar(select(func.count(Topic.id)).where(*conds)) or 0
    rows = db.session.scalars(
        select(Topic).where(*conds)
        .options(joinedload(Topic.author), joinedload(Topic.category))
        .order_by(Topic.last_post_at.desc(), Topic.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    )
    return Page(list(rows), page, per_page, total)


def private_cases(page: int, *, is_open: bool | None = None) -> Page:
    """Private cases: team conversations opened from a topic, newest first."""
    conds = [Conversation.topic_id.is_not(None),
             Conversation.id.in_(select(TopicContact.conversation_id))]
    if is_open is not None:
        conds.append(Conversation.is_closed.is_(not is_open))
    total = db.session.scalar(select(func.count(Conversation.id)).where(*conds)) or 0
    rows = db.session.scalars(
        select(Conversation).where(*conds).options(joinedload(Conversation.member))
        .order_by(Conversation.id.desc()).limit(CASES_PER_PAGE).offset((page - 1) * CASES_PER_PAGE)
    )
    return Page(list(rows), page, CASES_PER_PAGE, total)


def get_case(case_id: int) -> Conversation | None:
    conversation = db.session.get(Conversation, case_id)
    if conversation is None or conversation.topic_id is None:
        return None
    linked = db.session.scalar(select(TopicContact.id).where(TopicContact.conversation_id == case_id).limit(1))
    return conversation if linked is not None else None


def case_messages(conversation: Conversation) -> list[Message]:
    return list(db.session.scalars(
        select(Message).where(Message.conversation_id == conversation.id)
        .options(joinedload(Message.author)).order_by(Message.id)
    ))


def personal_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.kind == "personal").order_by(ApiToken.id.desc())
    ))


def service_tokens() -> list[ApiToken]:
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.kind == "service").options(joinedload(ApiToken.user))
        .order_by(ApiToken.id.desc())
    ))
