"""Read-side selects for the Q&A pages. Each page runs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.models import Answer, QAEvent, QAEventSubscription, Question, QuestionVote, User
from forum.pagination import Page
from forum.qa_events.services import effective_state

SORTS = ("votes", "newest", "answered")
LISTED = ("open", "follow_up", "answered")


def event_by_slug(slug: str) -> QAEvent | None:
    if not slug or "\x00" in slug or len(slug) > 80:
        return None
    return db.session.scalar(select(QAEvent).where(QAEvent.slug == slug).options(joinedload(QAEvent.executive)))


def get_question(event: QAEvent, question_id: int) -> Question | None:
    return db.session.scalar(
        select(Question).where(Question.id == question_id, Question.event_id == event.id).options(joinedload(Question.author))
    )


def events_overview(now: datetime, limit: int = 50) -> dict[str, list[QAEvent]]:
    """/ask: upcoming, open and live sessions, and the archive of past ones."""
    events = db.session.scalars(
        select(QAEvent).options(joinedload(QAEvent.executive)).order_by(QAEvent.live_starts_at.desc()).limit(limit * 2)
    ).all()
    groups: dict[str, list[QAEvent]] = {"live": [], "open": [], "scheduled": [], "past": []}
    for event in events:
        state = effective_state(event, now)
        groups["past" if state in ("answered", "archived") else state].append(event)
    for key in ("live", "open", "scheduled"):
        groups[key].sort(key=lambda e: e.live_starts_at)
    groups["past"] = groups["past"][:limit]
    return groups


@dataclass
class EventPage:
    questions: Page
    answers: dict[int, list[Answer]] = field(default_factory=dict)
    my_votes: set[int] = field(default_factory=set)
    closed: list[Question] = field(default_factory=list)
    subscribed: bool = False
    asked: int = 0


def event_page(event: QAEvent, sort: str, page: int, viewer: User | None) -> EventPage:
    per_page = current_app.config.get("QA_QUESTIONS_PER_PAGE", 50)
    listed = (Question.event_id == event.id) & Question.status.in_(LISTED)
    total = db.session.scalar(select(func.count(Question.id)).where(listed)) or 0
    stmt = select(Question).where(listed).options(joinedload(Question.author))
    if sort == "newest":
        stmt = stmt.order_by(Question.created_at.desc(), Question.id.desc())
    elif sort == "answered":
        answered_first = case((Question.status == "answered", 0), else_=1)
        stmt = stmt.order_by(answered_first, Question.answered_at.desc(), Question.vote_count.desc(), Question.id)
    else:
        stmt = stmt.order_by(Question.vote_count.desc(), Question.id)
    questions = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    result = EventPage(Page(questions, page, per_page, total))
    ids = [q.id for q in questions]
    if ids:
        for answer in db.session.scalars(
            select(Answer).where(Answer.question_id.in_(ids))
            .options(joinedload(Answer.author), joinedload(Answer.executive)).order_by(Answer.id)
        ):
            result.answers.setdefault(answer.question_id, []).append(answer)
    signed_in = viewer is not None and viewer.is_authenticated
    if ids and signed_in:
        result.my_votes = set(db.session.scalars(
            select(QuestionVote.question_id).where(QuestionVote.voter_id == viewer.id, QuestionVote.question_id.in_(ids))
        ))
    if page == 1:
        result.closed = list(db.session.scalars(
            select(Question).where(Question.event_id == event.id, Question.status.in_(("declined", "merged")))
            .options(joinedload(Question.author)).order_by(Question.id).limit(100)
        ))
    if signed_in:
        result.subscribed = bool(db.session.scalar(select(QAEventSubscription.id).where(
            QAEventSubscription.event_id == event.id, QAEventSubscription.user_id == viewer.id)))
        result.asked = db.session.scalar(select(func.count(Question.id)).where(
            Question.event_id == event.id, Question.author_id == viewer.id)) or 0
    return result


def executives() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == "executive").order_by(User.username).limit(200)))


def _span(seconds: float) -> str:
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else "less than a minute"


def countdown(event: QAEvent, state: str, now: datetime) -> str:
    """What the page says about time: "Questions open in 2 days", "Live now, ends in 40 min"."""
    if state == "scheduled":
        return f"Questions open in {_span((event.questions_open_at - now).total_seconds())}"
    if state == "open":
        if now < event.live_starts_at:
            return f"Live in {_span((event.live_starts_at - now).total_seconds())}"
        return "Live soon"
    if state == "live":
        if now < event.live_ends_at:
            return f"Live now, ends in {_span((event.live_ends_at - now).total_seconds())}"
        return "Live now"
    return "This session has ended; its questions and answers stay here for good."
