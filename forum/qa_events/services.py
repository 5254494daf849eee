"""Q&A session writes. Services validate, check permissions, write and flush; the
caller (a view, the CLI or a test) commits once.

Time comes from :func:`clock` unless a ``now`` is passed; tests pass a fixed ``now``
or replace ``clock``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, delete, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from forum import actions, markup
from forum.audit import log_action
from forum.extensions import db
from forum.models import (
    Answer,
    AnswerRevision,
    QAEvent,
    QAEventSubscription,
    QAEventTransition,
    Question,
    QuestionVote,
    User,
)
from forum.models.base import utcnow
from forum.models.qa_events import QA_STATE_LABELS, QA_STATES
from forum.notify import notify
from forum.permissions import (
    can_answer_qa_question,
    can_ask_qa_question,
    can_create_qa_event,
    can_edit_qa_answer,
    can_moderate_qa_question,
    can_subscribe_qa_event,
    can_transition_qa_event,
    can_vote_qa_question,
    suspension_message,
)
from forum.text import clean_block, clean_line, clean_reason

QUESTION_MIN, QUESTION_MAX = 10, 500
ANSWER_MAX = markup.MAX_BODY_LENGTH
INTRO_MAX = 5000
TITLE_MIN, TITLE_MAX = 5, 150
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 80
#: Slugs that would clash with the pages under /ask.
RESERVED_SLUGS = frozenset({"new"})
LIMIT_MIN, LIMIT_MAX = 1, 50
#: A declined question's reason is shown with it on the session page.
DECLINE_REASON_MAX = 300
#: States in which members may ask and vote.
ACCEPTING = ("open", "live")
#: States in which the executive (or staff) may answer.
ANSWERING = ("open", "live", "answered")


def clock() -> datetime:
    """The current time. Tests replace this (or pass ``now=`` to the services)."""
    return utcnow()


def _now(now: datetime | None) -> datetime:
    return now if now is not None else clock()


class QAError(actions.ActionError):
    """A refused Q&A write; the message is shown to the user (see ``forum.actions``)."""


class PermissionDenied(QAError, actions.PermissionDenied):
    """The actor may not do this (403)."""


class Conflict(QAError, actions.Conflict):
    """The request clashes with the current state (voting twice, a closed window; 409)."""


# --- the state machine -------------------------------------------------------------


def archive_after() -> timedelta:
    try:
        days = float(current_app.config.get("QA_ARCHIVE_AFTER_DAYS", 14))
    except RuntimeError:  # outside an app context
        days = 14
    return timedelta(days=days)


def boundaries(event: QAEvent) -> list[tuple[datetime, str]]:
    """The window boundaries, in order, with the state each one starts."""
    return [
        (event.questions_open_at, "open"),
        (event.live_starts_at, "live"),
        (event.live_ends_at, "answered"),
        (event.live_ends_at + archive_after(), "archived"),
    ]


def clock_state(event: QAEvent, now: datetime) -> str:
    """The state the windows alone give at ``now``."""
    state = "scheduled"
    for at, target in boundaries(event):
        if at <= now:
            state = target
    return state


def clock_target(event: QAEvent, now: datetime | None = None) -> str | None:
    """The state the clock moves ``event`` to, or ``None``.

    The clock only acts on a boundary crossed since the last change of state (so a
    session staff moved by hand stays where they put it until the next boundary), and
    only moves forward."""
    now = _now(now)
    latest: tuple[datetime, str] | None = None
    for at, target in boundaries(event):
        if at <= now:
            latest = (at, target)
    if latest is None or latest[0] <= event.state_changed_at:
        return None
    if QA_STATES.index(latest[1]) <= QA_STATES.index(event.state):
        return None
    return latest[1]


def effective_state(event: QAEvent, now: datetime | None = None) -> str:
    """The state to show and enforce: the stored one, or where the clock has moved it
    (``forum qa-events tick`` stores that and sends the notifications)."""
    return clock_target(event, now) or event.state


def accepting_questions(event: QAEvent, now: datetime | None = None) -> bool:
    now = _now(now)
    return effective_state(event, now) in ACCEPTING and now < event.questions_close_at


def _record_transition(event: QAEvent, old: str, new: str, *, actor: User | None, reason: str, now: datetime) -> QAEventTransition:
    transition = QAEventTransition(
        event_id=event.id, from_state=old, to_state=new, actor_id=actor.id if actor else None, reason=reason, created_at=now
    )
    db.session.add(transition)
    if new == "live":
        _notify_live(event, actor)
    return transition


def _move(event: QAEvent, old: str, new: str, *, actor: User | None, reason: str, now: datetime) -> bool:
    """Change the stored state from ``old`` to ``new`` in SQL, only if nobody else
    changed it meanwhile (two ``tick`` runs never record the same transition twice)."""
    result = db.session.execute(
        update(QAEvent)
        .where(QAEvent.id == event.id, QAEvent.state == old)
        .values(state=new, state_changed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(event)
        return False
    _record_transition(event, old, new, actor=actor, reason=reason, now=now)
    db.session.flush()
    db.session.refresh(event)
    return True


def apply_clock(event: QAEvent, now: datetime | None = None) -> str | None:
    """Store the clock's transition of ``event``, if any. Returns the new state."""
    now = _now(now)
    target = clock_target(event, now)
    if target is None:
        return None
    return target if _move(event, event.state, target, actor=None, reason="Scheduled time reached", now=now) else None


def tick(now: datetime | None = None) -> list[tuple[QAEvent, str]]:
    """Apply the clock to every session that is not archived."""
    now = _now(now)
    moved = []
    for event in db.session.scalars(select(QAEvent).where(QAEvent.state != "archived").order_by(QAEvent.id)).all():
        new = apply_clock(event, now)
        if new:
            moved.append((event, new))
    return moved


def transition(event: QAEvent, to_state: str, *, actor: User, reason: str = "", now: datetime | None = None) -> bool:
    """Move a session by hand (staff). Returns whether anything changed."""
    if not can_transition_qa_event(actor, event):
        raise PermissionDenied("Only Customer Care staff can change a session's state.")
    if to_state not in QA_STATES:
        raise QAError("Unknown state.", field="to_state")
    reason = clean_reason(reason, error=QAError)
    now = _now(now)
    current = effective_state(event, now)
    if current != event.state:  # first store where the clock had moved it
        _move(event, event.state, current, actor=None, reason="Scheduled time reached", now=now)
    if event.state == to_state:
        return False
    return _move(event, event.state, to_state, actor=actor, reason=reason or "Changed by hand", now=now)


def open_event(event: QAEvent, *, actor: User, reason: str = "", now: datetime | None = None) -> bool:
    """Open a session for questions now."""
    return transition(event, "open", actor=actor, reason=reason, now=now)


def close_event(event: QAEvent, *, actor: User, reason: str = "", now: datetime | None = None) -> bool:
    """End a session's questions and live part now."""
    return transition(event, "answered", actor=actor, reason=reason, now=now)


def event_url(event: QAEvent, anchor: str | None = None) -> str:
    """The session's path (built by hand: the CLI has no request to build URLs from)."""
    return f"/ask/{event.slug}" + (f"#{anchor}" if anchor else "")


def _notify_live(event: QAEvent, actor: User | None) -> None:
    subscribers = db.session.scalars(
        select(QAEventSubscription.user_id).where(QAEventSubscription.event_id == event.id)
    ).all()
    notify(
        subscribers,
        kind="qa_live",
        text=f"The Q&A session “{event.title}” is live now.",
        url=event_url(event),
        actor=actor,
    )


# --- sessions ---------------------------------------------------------------------


def _clean_text(value: str | None, *, field: str, label: str, min_len: int, max_len: int) -> str:
    return clean_line(value, field=field, min_length=min_len, max_length=max_len, error=QAError,
                      length_message=f"The {label} must be {min_len} to {max_len} characters long.")


def create_event(
    *,
    actor: User,
    title: str,
    slug: str,
    executive: User,
    executive_title: str = "",
    intro: str = "",
    questions_open_at: datetime,
    questions_close_at: datetime,
    live_starts_at: datetime,
    live_ends_at: datetime,
    question_limit: int = 3,
    now: datetime | None = None,
) -> QAEvent:
    """Create a session. Its first state is the one the windows give at ``now``."""
    if not can_create_qa_event(actor):
        raise PermissionDenied("Only Customer Care staff and admins can create Q&A sessions.")
    title = _clean_text(title, field="title", label="title", min_len=TITLE_MIN, max_len=TITLE_MAX)
    slug = (slug or "").strip().lower()
    if not (slug and len(slug) <= SLUG_MAX and SLUG_RE.match(slug)):
        raise QAError("The slug must be lower-case letters, digits and hyphens (at most 80).", field="slug")
    if slug in RESERVED_SLUGS or db.session.scalar(select(exists().where(QAEvent.slug == slug))):
        raise QAError("Another session already uses that slug.", field="slug")
    if executive is None or executive.role != "executive":
        raise QAError("Choose a user with the executive role.", field="executive_id")
    executive_title = _clean_text(
        executive_title or executive.role_label, field="executive_title", label="public title", min_len=2, max_len=100
    )
    intro = clean_block(intro, field="intro", max_length=INTRO_MAX, error=QAError,
                        length_message=f"The introduction is at most {INTRO_MAX} characters long.")
    for value in (questions_open_at, questions_close_at, live_starts_at, live_ends_at):
        if value is None or value.tzinfo is None:
            raise QAError("Give every time of the session, in UTC.")
    if not questions_open_at < questions_close_at:
        raise QAError("Questions must close after they open.", field="questions_close_at")
    if not live_starts_at < live_ends_at:
        raise QAError("The live part must end after it starts.", field="live_ends_at")
    if live_starts_at < questions_open_at:
        raise QAError("The live part cannot start before questions open.", field="live_starts_at")
    if questions_close_at > live_ends_at:
        raise QAError("Questions must close by the end of the live part.", field="questions_close_at")
    if not isinstance(question_limit, int) or not LIMIT_MIN <= question_limit <= LIMIT_MAX:
        raise QAError(f"The question limit is {LIMIT_MIN} to {LIMIT_MAX}.", field="question_limit")
    now = _now(now)
    event = QAEvent(
        title=title,
        slug=slug,
        executive_id=executive.id,
        executive_title=executive_title,
        intro=intro,
        intro_html=markup.render_markdown(intro, max_length=INTRO_MAX) if intro.strip() else "",
        questions_open_at=questions_open_at,
        questions_close_at=questions_close_at,
        live_starts_at=live_starts_at,
        live_ends_at=live_ends_at,
        question_limit=question_limit,
        state="scheduled",
        state_changed_at=now,
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(event)
    db.session.flush()
    initial = clock_state(event, now)
    if initial != "scheduled":
        event.state = initial
        db.session.add(
            QAEventTransition(event_id=event.id, from_state="scheduled", to_state=initial, actor_id=None,
                              reason="Created after the window opened", created_at=now)
        )
        db.session.flush()
    return event


def _insert_ignoring_duplicates(model, **values) -> bool:
    """``INSERT ... ON CONFLICT DO NOTHING`` on both backends: True if a row went in.
    A unique constraint decides, so two concurrent requests cannot both insert."""
    dialect = sqlite if db.engine.dialect.name == "sqlite" else postgresql
    table = model.__table__
    stmt = dialect.insert(table).values(**values).on_conflict_do_nothing().returning(table.c.id)
    return db.session.execute(stmt).scalar() is not None


# --- subscriptions ------------------------------------------------------------------


def subscribe(event: QAEvent, user: User, reason: str) -> bool:
    """Subscribe ``user`` to the session (idempotent; safe under concurrency)."""
    return _insert_ignoring_duplicates(
        QAEventSubscription, event_id=event.id, user_id=user.id, reason=reason, created_at=utcnow()
    )


def remind_me(event: QAEvent, *, user: User, now: datetime | None = None) -> bool:
    """"Remind me": notified when the session goes live."""
    if not can_subscribe_qa_event(user, event):
        raise PermissionDenied("Confirm your email address to be reminded.")
    if effective_state(event, now) not in ("scheduled", "open"):
        raise Conflict("This session has already started.")
    return subscribe(event, user, "remind")


# --- questions ------------------------------------------------------------------------


def clean_question(body: str | None) -> str:
    body = clean_block((body or "").strip(), field="body", error=QAError,
                       empty_message="Write your question first: it cannot be empty.")
    if not QUESTION_MIN <= len(body) <= QUESTION_MAX:
        raise QAError(f"Questions are {QUESTION_MIN} to {QUESTION_MAX} characters long (yours has {len(body)}).", field="body")
    return body


def questions_asked(event: QAEvent, user: User) -> int:
    return db.session.scalar(
        select(func.count(Question.id)).where(Question.event_id == event.id, Question.author_id == user.id)
    ) or 0


def check_can_ask(event: QAEvent, author: User, now: datetime | None = None) -> None:
    """Raise unless ``author`` may ask in ``event`` now (permission, window, limit)."""
    if not can_ask_qa_question(author, event):
        raise PermissionDenied(suspension_message(author) or "Confirm your email address to ask a question.")
    now = _now(now)
    if not accepting_questions(event, now):
        state = QA_STATE_LABELS[effective_state(event, now)].lower()
        raise Conflict(f"This session is not taking questions now (it is {state}).")
    if questions_asked(event, author) >= event.question_limit:
        raise QAError(
            f"You have already asked {event.question_limit} question{'s' if event.question_limit != 1 else ''}, "
            "the limit for this session. Vote for other questions instead.",
            field="body",
            status=422,
        )


def submit_question(event: QAEvent, *, author: User, body: str, now: datetime | None = None) -> Question:
    """Ask a question while the session is open or live, within the member's limit."""
    now = _now(now)
    check_can_ask(event, author, now)
    body = clean_question(body)
    question = Question(
        event_id=event.id, author_id=author.id, body=body,
        body_html=markup.render_markdown(body, max_length=QUESTION_MAX), created_at=now,
    )
    db.session.add(question)
    db.session.flush()
    subscribe(event, author, "asked")
    return question


_WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)
_STOP = frozenset(
    "the and for are but not you your with this that have has was were why what when where how which who will "
    "can could would should does did from into about there their they them our its it's any all more some just "
    "than then also been being get got".split()
)


def keywords(text: str, limit: int = 8) -> list[str]:
    words = []
    for word in _WORD.findall((text or "").lower()):
        if word not in _STOP and word not in words:
            words.append(word)
    return sorted(words, key=len, reverse=True)[:limit]


def similar_questions(event: QAEvent, text: str, limit: int = 5) -> list[Question]:
    """Questions of this session that share words with ``text`` (search is not
    built yet): one bounded LIKE query on the longest words, ranked by words shared."""
    words = keywords(text[:QUESTION_MAX])
    if not words:
        return []
    lowered = func.lower(Question.body)
    matches = [lowered.contains(w, autoescape=True) for w in words]
    shared = sum((case((m, 1), else_=0) for m in matches[1:]), case((matches[0], 1), else_=0))
    return list(db.session.scalars(
        select(Question)
        .where(Question.event_id == event.id, Question.status.in_(("open", "follow_up", "answered")))
        .where(or_(*matches))
        .order_by(shared.desc(), Question.vote_count.desc(), Question.id)
        .limit(limit)
    ))


# --- votes ----------------------------------------------------------------------------


def _check_votable(question: Question, voter: User, now: datetime | None) -> None:
    if not can_vote_qa_question(voter, None):
        raise PermissionDenied(suspension_message(voter) or "Confirm your email address to vote.")
    if question.author_id == voter.id:
        raise PermissionDenied("You cannot vote for your own question.")
    if not question.is_listed:
        raise Conflict("This question is closed to votes.")
    if effective_state(question.event, now) not in ACCEPTING:
        raise Conflict("Voting is closed for this session.")


def vote(question: Question, *, voter: User, now: datetime | None = None) -> int:
    """Vote for a question (once per member). The count is kept in SQL, so
    concurrent votes all count. Returns the new count."""
    _check_votable(question, voter, now)
    if not _insert_ignoring_duplicates(QuestionVote, question_id=question.id, voter_id=voter.id, created_at=_now(now)):
        raise Conflict("You have already voted for this question.")
    db.session.execute(
        update(Question).where(Question.id == question.id).values(vote_count=Question.vote_count + 1)
        .execution_options(synchronize_session=False)
    )
    subscribe(question.event, voter, "voted")
    db.session.flush()
    db.session.refresh(question)
    return question.vote_count


def unvote(question: Question, *, voter: User, now: datetime | None = None) -> int:
    """Take a vote back. Returns the new count."""
    _check_votable(question, voter, now)
    result = db.session.execute(
        delete(QuestionVote).where(QuestionVote.question_id == question.id, QuestionVote.voter_id == voter.id)
    )
    if result.rowcount != 1:
        raise Conflict("You have not voted for this question.")
    db.session.execute(
        update(Question).where(Question.id == question.id).values(vote_count=Question.vote_count - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    db.session.refresh(question)
    return question.vote_count


# --- moderation -------------------------------------------------------------------------


def merge_questions(source: Question, target: Question, *, actor: User, reason: str) -> Question:
    """Fold duplicate ``source`` into ``target``: the votes are combined, each voter
    counted once (a voter of both, or the target's asker, adds nothing). Logged."""
    if not can_moderate_qa_question(actor, source):
        raise PermissionDenied("Only moderators and Customer Care staff can merge questions.")
    if source.id == target.id:
        raise QAError("A question cannot be merged into itself.", field="into")
    if source.event_id != target.event_id:
        raise QAError("Both questions must belong to the same session.", field="into")
    if not source.is_listed or not target.is_listed:
        raise Conflict("Only questions that are not declined or merged can be merged.")
    reason = clean_reason(reason, required=True, error=QAError)
    # Lock the target row (PostgreSQL) so that votes arriving meanwhile wait.
    db.session.execute(select(Question.id).where(Question.id == target.id).with_for_update())
    already = select(QuestionVote.voter_id).where(QuestionVote.question_id == target.id)
    db.session.execute(
        update(QuestionVote)
        .where(QuestionVote.question_id == source.id, QuestionVote.voter_id.not_in(already),
               QuestionVote.voter_id != target.author_id)
        .values(question_id=target.id)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(delete(QuestionVote).where(QuestionVote.question_id == source.id))
    count = select(func.count(QuestionVote.id)).where(QuestionVote.question_id == target.id).scalar_subquery()
    db.session.execute(
        update(Question).where(Question.id == target.id).values(vote_count=count)
        .execution_options(synchronize_session=False)
    )
    source.status = "merged"
    source.merged_into_id = target.id
    source.vote_count = 0
    log_action(
        actor, "merge_question", target_type="question", target_id=source.id, reason=reason,
        subject_user=source.author, summary=f"question #{source.id} merged into #{target.id} in “{source.event.title}”",
    )
    db.session.flush()
    db.session.refresh(target)
    return target


def reject_question(question: Question, *, actor: User, reason: str) -> Question:
    """Decline an off-topic question; it stays on the page as "declined: <reason>"."""
    if not can_moderate_qa_question(actor, question):
        raise PermissionDenied("Only moderators and Customer Care staff can decline questions.")
    if question.status in ("declined", "merged"):
        raise Conflict("This question is already closed.")
    reason = clean_reason(reason, required=True, error=QAError,
                          required_message="Give a reason: it is shown with the question and in the public moderation log.")
    if len(reason) > DECLINE_REASON_MAX:  # shown next to the question, so shorter than the core's limit
        raise QAError(f"The reason is at most {DECLINE_REASON_MAX} characters long.", field="reason")
    question.status = "declined"
    question.declined_reason = reason
    log_action(
        actor, "reject_question", target_type="question", target_id=question.id, reason=reason,
        subject_user=question.author, summary=f"question #{question.id} declined in “{question.event.title}”",
    )
    db.session.flush()
    return question


# --- answers ----------------------------------------------------------------------------


def _clean_answer(body: str | None) -> tuple[str, str]:
    body = clean_block((body or "").strip(), field="body", max_length=ANSWER_MAX, error=QAError,
                       empty_message="Write the answer first: it cannot be empty.",
                       length_message=f"Answers are at most {ANSWER_MAX:,} characters long.")
    return body, markup.render_markdown(body)


def _askers(question: Question) -> list[int]:
    """The question's asker and the askers of the duplicates merged into it."""
    merged = db.session.scalars(select(Question.author_id).where(Question.merged_into_id == question.id)).all()
    return [question.author_id, *merged]


def _notify_answer(question: Question, answer: Answer, actor: User) -> None:
    event = question.event
    if answer.kind == "answer":
        text = f"Your question in “{event.title}” was answered."
    else:
        text = f"Customer Care will come back to you on your question in “{event.title}”."
    notify(_askers(question), kind="qa_answer", text=text, url=event_url(event, question.anchor), actor=actor)


def answer_question(
    question: Question, *, author: User, body: str, kind: str = "answer", now: datetime | None = None
) -> Answer:
    """Answer a question (the executive, or staff on their behalf), or post a
    follow-up note (``kind='follow_up'``). The first revision is kept too."""
    event = question.event
    if not can_answer_qa_question(author, event):
        raise PermissionDenied("Only the session's executive and Customer Care staff can answer.")
    if kind not in ("answer", "follow_up"):
        raise QAError("Unknown kind of answer.", field="kind")
    now = _now(now)
    if effective_state(event, now) not in ANSWERING:
        raise Conflict("Questions can be answered once the session is open, and until it is archived.")
    if not question.is_listed:
        raise Conflict("A declined or merged question cannot be answered.")
    body, html = _clean_answer(body)
    if kind == "answer" and db.session.scalar(
        select(exists().where(Answer.question_id == question.id, Answer.kind == "answer"))
    ):
        raise Conflict("This question already has an answer: edit it instead.")
    answer = Answer(
        question_id=question.id, author_id=author.id, executive_id=event.executive_id, kind=kind,
        body=body, body_html=html, created_at=now, revision_count=1,
    )
    db.session.add(answer)
    db.session.flush()
    db.session.add(AnswerRevision(answer_id=answer.id, number=1, editor_id=author.id, kind=kind, body=body,
                                  body_html=html, created_at=now))
    _set_question_status(question, now)
    _notify_answer(question, answer, author)
    db.session.flush()
    return answer


def _set_question_status(question: Question, now: datetime) -> None:
    kinds = set(db.session.scalars(select(Answer.kind).where(Answer.question_id == question.id)).all())
    if "answer" in kinds:
        if question.status != "answered":
            question.answered_at = now
        question.status = "answered"
    elif "follow_up" in kinds:
        question.status = "follow_up"


def update_answer(
    answer: Answer, *, editor: User, body: str, kind: str | None = None, now: datetime | None = None
) -> AnswerRevision | None:
    """Change an answer (or turn a follow-up note into the answer). Every change
    keeps a revision; an unchanged save records nothing."""
    if not can_edit_qa_answer(editor, answer):
        raise PermissionDenied("You cannot change this answer.")
    kind = kind or answer.kind
    if kind not in ("answer", "follow_up"):
        raise QAError("Unknown kind of answer.", field="kind")
    body, html = _clean_answer(body)
    if body == answer.body and kind == answer.kind:
        return None
    question = answer.question
    if kind == "answer" and answer.kind != "answer" and db.session.scalar(
        select(exists().where(Answer.question_id == question.id, Answer.kind == "answer", Answer.id != answer.id))
    ):
        raise Conflict("This question already has an answer.")
    now = _now(now)
    became_answer = kind == "answer" and answer.kind != "answer"
    answer.revision_count += 1
    revision = AnswerRevision(answer_id=answer.id, number=answer.revision_count, editor_id=editor.id, kind=kind,
                              body=body, body_html=html, created_at=now)
    db.session.add(revision)
    answer.body, answer.body_html, answer.kind = body, html, kind
    answer.updated_at, answer.updated_by_id = now, editor.id
    db.session.flush()
    _set_question_status(question, now)
    if became_answer:
        _notify_answer(question, answer, editor)
    db.session.flush()
    return revision
