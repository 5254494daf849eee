"""Keeping the insights rollup tables up to date.

:func:`rollup` reads what happened since its watermarks (posts and case transitions by
id, satisfaction and official answers since its last run) and adds it to the rollups:
member posts by sentiment and terms per local day and board, terms per UTC hour and
board (spikes), staff answers per agent and day, and one fact row per touched help
topic. Counts are added once per post: the watermark moves in the same transaction,
so running it twice (or after a crash) counts nothing twice. It flushes; the boundary
(``forum insights rollup``, or :func:`run_rollup` for a scheduled job) commits.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import case, delete, func, or_, select, tuple_

from forum.extensions import db
from forum.insights import text
from forum.insights.definitions import utc_hour
from forum.models import (
    STAFF_ROLES,
    CaseTransition,
    Conversation,
    InsightDaily,
    InsightRollupState,
    InsightTermHour,
    InsightTopicFact,
    Post,
    SearchEvent,
    Topic,
    User,
)
from forum.models.base import utcnow

POST_MARK, TRANSITION_MARK, RUN_MARK = "post_id", "transition_id", "run"
#: The last local day whose searches are counted in the rollups (as a date ordinal).
SEARCH_MARK = "search_day"
#: Search-log rows are counted per day on this board id (the log has no board).
ALL_BOARDS = 0
BATCH = 2000


def timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE") or "Europe/London")


def _state(name: str) -> InsightRollupState:
    stmt = select(InsightRollupState).where(InsightRollupState.name == name)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update()  # two runs at once: the second waits, then sees the moved mark
    row = db.session.scalar(stmt)
    if row is None:
        row = InsightRollupState(name=name, value=0)
        db.session.add(row)
        db.session.flush()
    return row


def rollup(now: datetime | None = None) -> dict:
    """Add everything new since the watermarks to the rollups. Returns what it counted."""
    now = now or utcnow()
    run, post_mark, transition_mark = _state(RUN_MARK), _state(POST_MARK), _state(TRANSITION_MARK)
    touched: set[int] = set()
    posts = 0
    while True:
        batch = list(db.session.execute(
            select(Post.id, Post.topic_id, Post.author_id, Post.is_first, Post.body, Post.created_at,
                   Topic.category_id, Topic.title, User.role, Topic.state)
            .join(Topic, Topic.id == Post.topic_id).join(User, User.id == Post.author_id)
            .where(Post.id > post_mark.value).order_by(Post.id).limit(BATCH)))
        if not batch:
            break
        _count_posts(batch)
        posts += len(batch)
        touched.update(r.topic_id for r in batch if r.state is not None)
        post_mark.value = batch[-1].id
    rows = list(db.session.execute(select(CaseTransition.id, CaseTransition.topic_id)
                                   .where(CaseTransition.id > transition_mark.value).order_by(CaseTransition.id)))
    if rows:
        touched.update(r.topic_id for r in rows)
        transition_mark.value = rows[-1].id
    if run.ran_at is not None:  # answers that move no state: a second Yes, a score, a new official answer
        touched.update(db.session.scalars(select(Topic.id).where(Topic.state.is_not(None), or_(
            Topic.satisfaction_at >= run.ran_at, Topic.official_marked_at >= run.ran_at))))
    _rollup_search(now)
    ids = sorted(touched)
    for i in range(0, len(ids), 500):
        refresh_facts(ids[i:i + 500], now=now)
    run.ran_at = now
    run.value += 1
    db.session.flush()
    return {"posts": posts, "topics": len(ids)}


def run_rollup(now: datetime | None = None) -> dict:
    """The scheduled job: :func:`rollup` in its own transaction, committed."""
    try:
        result = rollup(now)
        db.session.commit()
        return result
    except Exception:
        db.session.rollback()
        raise


def rebuild(now: datetime | None = None) -> dict:
    """Empty the rollups and count everything again (after a change of definitions)."""
    for model in (InsightDaily, InsightTermHour, InsightTopicFact, InsightRollupState):
        db.session.execute(delete(model))
    db.session.flush()
    return rollup(now)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone()
    return (datetime.combine(day, time(), tz).astimezone(UTC),
            datetime.combine(day + timedelta(days=1), time(), tz).astimezone(UTC))


def _rollup_search(now: datetime) -> None:
    """Count each finished local day of the search log once (searches, clicks, no results,
    per query), so the dashboard sums days instead of the log, and the counts outlive
    the log's ``SEARCH_ANALYTICS_DAYS``. Today stays live (read from the log)."""
    mark = _state(SEARCH_MARK)
    today = now.astimezone(timezone()).date()
    if mark.value:
        day = date.fromordinal(mark.value) + timedelta(days=1)
    else:
        oldest = db.session.scalar(select(func.min(SearchEvent.created_at)))
        day = oldest.astimezone(timezone()).date() if oldest else today
    day = max(day, today - timedelta(days=400))
    e = SearchEvent
    while day < today:
        lo, hi = day_bounds(day)
        counts: Counter = Counter()
        for query, n, clicks, zero in db.session.execute(
                select(e.query, func.count(e.id), func.sum(case((e.clicked_rank.is_not(None), 1), else_=0)),
                       func.sum(case((e.result_count == 0, 1), else_=0)))
                .where(e.created_at >= lo, e.created_at < hi, e.source == "page").group_by(e.query)):
            query = query[:60]
            counts[(day, ALL_BOARDS, "search", "searches")] += n
            counts[(day, ALL_BOARDS, "query", query)] += n
            if clicks:
                counts[(day, ALL_BOARDS, "search", "clicks")] += clicks
                counts[(day, ALL_BOARDS, "query_click", query)] += clicks
            if zero:
                counts[(day, ALL_BOARDS, "search", "zero")] += zero
                counts[(day, ALL_BOARDS, "query_zero", query)] += zero
        _add(InsightDaily, (InsightDaily.day, InsightDaily.category_id, InsightDaily.metric, InsightDaily.key),
             "value", counts, lambda k, v: InsightDaily(day=k[0], category_id=k[1], metric=k[2], key=k[3], value=v))
        mark.value = day.toordinal()
        day += timedelta(days=1)
    db.session.flush()


def _count_posts(batch) -> None:
    tz = timezone()
    daily: Counter = Counter()
    hourly: Counter = Counter()
    for r in batch:
        day = r.created_at.astimezone(tz).date()
        if r.role in STAFF_ROLES:
            if not r.is_first:
                daily[(day, r.category_id, "answers", str(r.author_id))] += 1
            continue
        body = f"{r.title}\n{r.body}" if r.is_first else r.body
        daily[(day, r.category_id, "sentiment", text.sentiment_class(body))] += 1
        if not r.is_first:
            continue
        # Terms come from new questions only (title and the start of the opening post):
        # what customers ask about, and few enough rows per day for the page to sum.
        hour = utc_hour(r.created_at)
        for term in text.terms(f"{r.title}\n{r.body[:text.TERM_CHARS]}"):
            daily[(day, r.category_id, "term", term)] += 1
            hourly[(hour, r.category_id, term)] += 1
    _add(InsightDaily, (InsightDaily.day, InsightDaily.category_id, InsightDaily.metric, InsightDaily.key),
         "value", daily, lambda k, v: InsightDaily(day=k[0], category_id=k[1], metric=k[2], key=k[3], value=v))
    _add(InsightTermHour, (InsightTermHour.hour, InsightTermHour.category_id, InsightTermHour.term),
         "count", hourly, lambda k, v: InsightTermHour(hour=k[0], category_id=k[1], term=k[2], count=v))


def _add(model, key_columns, field: str, counts: Counter, make) -> None:
    """Add ``counts`` to the rows with those keys, creating the missing ones."""
    keys = list(counts)
    for i in range(0, len(keys), 300):
        chunk = keys[i:i + 300]
        existing = {tuple(getattr(row, c.key) for c in key_columns): row for row in db.session.scalars(
            select(model).where(tuple_(*key_columns).in_(chunk)))}
        for k in chunk:
            row = existing.get(k)
            if row is not None:
                setattr(row, field, getattr(row, field) + counts[k])
            else:
                db.session.add(make(k, counts[k]))
    db.session.flush()


def _wait(later: datetime | None, earlier: datetime) -> int | None:
    return None if later is None else int((later - earlier).total_seconds())


def refresh_facts(topic_ids: list[int], *, now: datetime | None = None, session=None) -> None:
    """Work out the fact rows of these topics again from their posts, transitions and
    private cases (topics that are not help cases have none). Flushes ``session``
    (default: the request's)."""
    if not topic_ids:
        return
    now = now or utcnow()
    s = session if session is not None else db.session
    topics = {t.id: t for t in s.scalars(select(Topic).where(Topic.id.in_(topic_ids)))}
    replies = defaultdict(list)
    for r in s.execute(
            select(Post.id, Post.topic_id, Post.author_id, Post.created_at, User.role)
            .join(User, User.id == Post.author_id)
            .where(Post.topic_id.in_(topic_ids), Post.is_first.is_(False)).order_by(Post.created_at, Post.id)):
        replies[r.topic_id].append(r)
    moves = defaultdict(list)
    for m in s.execute(select(CaseTransition.topic_id, CaseTransition.event, CaseTransition.to_state,
                                       CaseTransition.created_at).where(CaseTransition.topic_id.in_(topic_ids))):
        moves[m.topic_id].append(m)
    escalated = set(s.scalars(select(Conversation.topic_id).where(Conversation.topic_id.in_(topic_ids))))
    firsts = dict(s.execute(select(Post.topic_id, Post.body).where(
        Post.topic_id.in_(topic_ids), Post.is_first.is_(True))).all())
    answer_posts = {p for t in topics.values() for p in (t.official_answer_post_id, t.solution_post_id) if p}
    post_authors = dict(s.execute(select(Post.id, User.role).join(User, User.id == Post.author_id)
                                           .where(Post.id.in_(answer_posts))).all()) if answer_posts else {}
    post_author_ids = dict(s.execute(select(Post.id, Post.author_id).where(Post.id.in_(answer_posts))).all()) \
        if answer_posts else {}
    existing = {f.topic_id: f for f in s.scalars(
        select(InsightTopicFact).where(InsightTopicFact.topic_id.in_(topic_ids)))}
    for tid in topic_ids:
        topic = topics.get(tid)
        fact = existing.get(tid)
        if topic is None or topic.state is None:
            if fact is not None:
                s.delete(fact)
            continue
        if fact is None:
            fact = InsightTopicFact(topic_id=tid)
            s.add(fact)
        others = [r for r in replies[tid] if r.author_id != topic.author_id]
        staff = [r for r in replies[tid] if r.role in STAFF_ROLES]
        solved = [m.created_at for m in moves[tid] if m.event in ("accepted", "official_answer")]
        solved += [t for t in (topic.solution_accepted_at, topic.official_marked_at) if t is not None]
        official = topic.official_answer_post_id is not None or any(m.event == "official_answer" for m in moves[tid])
        answer = topic.official_answer_post_id or topic.solution_post_id
        fact.category_id = topic.category_id
        fact.asked_at = topic.created_at
        fact.asked_day = topic.created_at.astimezone(timezone()).date()
        fact.first_response_at = others[0].created_at if others else None
        fact.first_staff_response_at = staff[0].created_at if staff else None
        fact.first_staff_id = staff[0].author_id if staff else None
        fact.solved_at = min(solved) if solved else None
        fact.solved_by = None if not solved else (
            "staff" if official or post_authors.get(topic.solution_post_id) in STAFF_ROLES else "community")
        fact.solver_id = post_author_ids.get(answer) if solved and answer else None
        fact.response_s = _wait(fact.first_response_at, topic.created_at)
        fact.staff_response_s = _wait(fact.first_staff_response_at, topic.created_at)
        fact.solve_s = _wait(fact.solved_at, topic.created_at)
        fact.reopen_count = sum(1 for m in moves[tid] if m.to_state == "reopened")
        fact.escalated = tid in escalated
        fact.satisfaction = topic.satisfaction
        fact.satisfaction_score = topic.satisfaction_score if topic.satisfaction == "yes" else None
        fact.satisfaction_at = topic.satisfaction_at
        fact.sentiment = text.sentiment(f"{topic.title}\n{firsts.get(tid, '')}")
        fact.updated_at = now
    s.flush()


# --- after each commit, where cheap ------------------------------------------------

def refresh_after_commit(topic_id: int) -> None:
    """Refresh this topic's facts once the current transaction commits (in a session
    of its own), so a state change shows on the dashboard before the next rollup."""
    from flask import current_app as app

    from forum.aftercommit import after_commit, transaction_state

    state = transaction_state()
    pending = state.get("insights_topics")
    if pending is None:
        pending = state["insights_topics"] = set()
        real_app = app._get_current_object()

        def refresh() -> None:
            from sqlalchemy.orm import Session

            with real_app.app_context(), Session(db.engine) as session:
                refresh_facts(sorted(pending), session=session)
                session.commit()

        after_commit(refresh)
    pending.add(topic_id)
