"""Read-side selects for the insights dashboard. Every query is bounded by the period
(through an index on the rollup tables, the search log, flags or incidents) or is a live
tile over an index (the backlog over ``ix_topics_queue``); none reads the posts table.
The figures are computed from these rows by :mod:`forum.insights.definitions`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, case, func, select

from forum.extensions import db
from forum.insights import definitions as d
from forum.insights.rollups import timezone
from forum.models import (
    AffectedReport,
    Category,
    Flag,
    FoundSurvey,
    Incident,
    IncidentUpdate,
    InsightDaily,
    InsightRollupState,
    InsightTermHour,
    InsightTopicFact,
    ModerationLogEntry,
    Post,
    SearchDeflection,
    SearchEvent,
    Topic,
    User,
)
from forum.models.cases import OPEN_STATES, QUEUE_STATES


@dataclass(frozen=True)
class Period:
    """Local dates ``start``..``end`` (both included) and an optional board."""

    start: date
    end: date
    board: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone()
        lo = datetime.combine(self.start, time(), tz).astimezone(UTC)
        hi = datetime.combine(self.end + timedelta(days=1), time(), tz).astimezone(UTC)
        return lo, hi

    def previous(self) -> Period:
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1), self.board)

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


def local_date(moment: datetime) -> date:
    return moment.astimezone(timezone()).date()


def boards() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))


def last_rollup() -> datetime | None:
    return db.session.scalar(select(InsightRollupState.ran_at).where(InsightRollupState.name == "run"))


# --- topic facts (speed, resolution, team) ------------------------------------------

def facts(period: Period) -> list:
    lo, hi = period.bounds()
    f = InsightTopicFact
    stmt = select(f.category_id, f.asked_day, f.response_s, f.staff_response_s, f.first_staff_id, f.solve_s,
                  f.solved_by, f.solver_id, f.reopen_count, f.escalated).where(f.asked_at >= lo, f.asked_at < hi)
    if period.board is not None:
        stmt = stmt.where(f.category_id == period.board)
    return list(db.session.execute(stmt))


def satisfaction_rows(period: Period) -> list:
    lo, hi = period.bounds()
    f = InsightTopicFact
    stmt = select(f.satisfaction, f.satisfaction_score, f.satisfaction_at, f.first_staff_id).where(
        f.satisfaction_at >= lo, f.satisfaction_at < hi, f.satisfaction.is_not(None))
    if period.board is not None:
        stmt = stmt.where(f.category_id == period.board)
    return list(db.session.execute(stmt))


def backlog(board: int | None, now: datetime, categories: list[Category]) -> dict:
    """Live: the topics waiting for Customer Care, by age bucket, and those past target."""
    default = float(current_app.config.get("RESPONSE_TARGET_HOURS", 4))
    targets = {c.id: float(c.response_target_hours or default) for c in categories}
    # Counted in SQL over the queue index: one row, whatever the backlog. A bucket
    # [low, high) of age holds waiting_since in (now - high, now - low].
    w = Topic.waiting_since
    columns = [func.count(Topic.id)]
    for i, (_, low, high) in enumerate(d.BACKLOG_BUCKETS):
        conds = []
        if i > 0:  # the first bucket also takes a clock a little ahead
            conds.append(w <= now - timedelta(seconds=low))
        if high is not None:
            conds.append(w > now - timedelta(seconds=high))
        columns.append(func.sum(case((and_(*conds), 1), else_=0)))
    past = [(and_(Topic.category_id == cid, w < now - timedelta(hours=hours)), 1) for cid, hours in targets.items()]
    columns.append(func.sum(case(*past, else_=0)) if past else func.sum(0))
    stmt = select(*columns).where(Topic.state.in_(QUEUE_STATES))
    if board is not None:
        stmt = stmt.where(Topic.category_id == board)
    row = db.session.execute(stmt).one()
    buckets = {label: int(n or 0) for (label, _, _), n in zip(d.BACKLOG_BUCKETS, row[1:-1], strict=True)}
    return {"waiting": int(row[0] or 0), "buckets": buckets, "past_target": int(row[-1] or 0)}


# --- daily rollups (sentiment, terms, team answers) ---------------------------------

def daily(period: Period, metric: str, *, group_by_day: bool = True) -> list:
    r = InsightDaily
    cols = [r.day, r.key, func.sum(r.value)] if group_by_day else [r.key, func.sum(r.value)]
    stmt = select(*cols).where(r.metric == metric, r.day >= period.start, r.day <= period.end)
    if period.board is not None:
        stmt = stmt.where(r.category_id == period.board)
    stmt = stmt.group_by(*cols[:-1])
    return list(db.session.execute(stmt))


def top_terms(period: Period, limit: int = 15, *, only: list[str] | None = None) -> list[tuple[str, int]]:
    """The most used terms of the period (or the counts of ``only`` these terms)."""
    r = InsightDaily
    total = func.sum(r.value).label("n")
    stmt = select(r.key, total).where(r.metric == "term", r.day >= period.start, r.day <= period.end)
    if only is not None:
        if not only:
            return []
        stmt = stmt.where(r.key.in_(only))
    if period.board is not None:
        stmt = stmt.where(r.category_id == period.board)
    return [(k, int(n)) for k, n in db.session.execute(stmt.group_by(r.key).order_by(total.desc(), r.key).limit(limit))]


def term_days(period: Period, terms: list[str]) -> dict[tuple[date, str], int]:
    if not terms:
        return {}
    r = InsightDaily
    stmt = select(r.day, r.key, func.sum(r.value)).where(
        r.metric == "term", r.key.in_(terms), r.day >= period.start, r.day <= period.end)
    if period.board is not None:
        stmt = stmt.where(r.category_id == period.board)
    return {(day, k): int(n) for day, k, n in db.session.execute(stmt.group_by(r.day, r.key))}


def spikes(board: int | None, now: datetime, *, z_min: float, count_min: int) -> list[dict]:
    """Terms whose count in the current or last full hour is far above the same hour of
    the week in the 4 weeks before (definitions.z_score)."""
    current = d.utc_hour(now)
    hours = [current, current - timedelta(hours=1)]
    wanted = {h: [h - timedelta(days=7 * k) for k in range(1, d.BASELINE_WEEKS + 1)] for h in hours}
    h = InsightTermHour
    stmt = select(h.hour, h.term, func.sum(h.count)).where(h.hour.in_(hours), h.count > 0)
    if board is not None:
        stmt = stmt.where(h.category_id == board)
    now_counts = {(hr, t): int(n) for hr, t, n in db.session.execute(stmt.group_by(h.hour, h.term))}
    candidates = {t for (hr, t), n in now_counts.items() if n >= count_min}
    if not candidates:
        return []
    all_base = [b for hs in wanted.values() for b in hs]
    stmt = select(h.hour, h.term, func.sum(h.count)).where(h.hour.in_(all_base), h.term.in_(sorted(candidates)))
    if board is not None:
        stmt = stmt.where(h.category_id == board)
    base = {(hr, t): int(n) for hr, t, n in db.session.execute(stmt.group_by(h.hour, h.term))}
    found: dict[str, dict] = {}
    for (hr, term), count in now_counts.items():
        if term not in candidates or count < count_min:
            continue
        baseline = [base.get((b, term), 0) for b in wanted[hr]]
        z = d.z_score(count, baseline)
        if z >= z_min and (term not in found or z > found[term]["z"]):
            found[term] = {"term": term, "hour": hr, "count": count, "baseline": baseline,
                           "mean": sum(baseline) / len(baseline), "z": z}
    return sorted(found.values(), key=lambda s: (-s["z"], s["term"]))[:10]


def most_negative_open(board: int | None, limit: int = 10) -> list:
    f = InsightTopicFact
    stmt = (select(Topic.id, Topic.title, Topic.state, f.sentiment, Topic.category_id)
            .join(Topic, Topic.id == f.topic_id)
            .where(f.sentiment < d.NEGATIVE_AT, Topic.state.in_(OPEN_STATES)))
    if board is not None:
        stmt = stmt.where(Topic.category_id == board)
    return list(db.session.execute(stmt.order_by(f.sentiment, Topic.id).limit(limit)))


# --- moderation ---------------------------------------------------------------------

def flags_handled(period: Period) -> list:
    lo, hi = period.bounds()
    stmt = select(Flag.created_at, Flag.resolved_at).where(Flag.resolved_at >= lo, Flag.resolved_at < hi)
    if period.board is not None:
        stmt = stmt.join(Post, Post.id == Flag.post_id).join(Topic, Topic.id == Post.topic_id).where(
            Topic.category_id == period.board)
    return list(db.session.execute(stmt))


def log_reasons(period: Period) -> tuple[int, int]:
    """The period's moderation log entries, and how many of them give a reason."""
    lo, hi = period.bounds()
    m = ModerationLogEntry
    has_reason = func.sum(case((func.length(func.trim(func.coalesce(m.reason, ""))) > 0, 1), else_=0))
    stmt = select(func.count(m.id), has_reason).where(m.created_at >= lo, m.created_at < hi)
    if period.board is not None:
        stmt = stmt.join(Topic, Topic.id == m.topic_id).where(Topic.category_id == period.board)
    entries, with_reason = db.session.execute(stmt).one()
    return int(entries or 0), int(with_reason or 0)


# --- incidents ----------------------------------------------------------------------

def incidents(period: Period) -> tuple[list, dict, dict]:
    lo, hi = period.bounds()
    rows = list(db.session.execute(select(Incident.id, Incident.title, Incident.state, Incident.created_at)
                                   .where(Incident.created_at >= lo, Incident.created_at < hi)
                                   .order_by(Incident.created_at).limit(200)))
    ids = [r.id for r in rows]
    reports: dict[int, list] = defaultdict(list)
    updates: dict[int, list] = defaultdict(list)
    if ids:
        for iid, at in db.session.execute(select(AffectedReport.incident_id, AffectedReport.created_at)
                                          .where(AffectedReport.incident_id.in_(ids))):
            reports[iid].append(at)
        for iid, at in db.session.execute(select(IncidentUpdate.incident_id, IncidentUpdate.created_at)
                                          .where(IncidentUpdate.incident_id.in_(ids))):
            updates[iid].append(at)
    return rows, reports, updates


# --- search -------------------------------------------------------------------------

def search_rolled_through() -> date | None:
    """The last day whose searches are in the rollups (later days are read from the log)."""
    value = db.session.scalar(select(InsightRollupState.value).where(InsightRollupState.name == "search_day"))
    return date.fromordinal(value) if value else None


def _split(period: Period, rolled: date | None) -> tuple[tuple[date, date] | None, Period | None]:
    """The period's days counted in the rollups, and the rest (read live from the log)."""
    if rolled is None or rolled < period.start:
        return None, period
    if rolled >= period.end:
        return (period.start, period.end), None
    return (period.start, rolled), Period(rolled + timedelta(days=1), period.end)


def search_totals(period: Period, rolled: date | None) -> tuple[int, int, int]:
    """Searches, searches after which a result was opened, searches that found nothing."""
    days, live = _split(period, rolled)
    out = {"searches": 0, "clicks": 0, "zero": 0}
    if days:
        r = InsightDaily
        for key, n in db.session.execute(select(r.key, func.sum(r.value)).where(
                r.metric == "search", r.day >= days[0], r.day <= days[1]).group_by(r.key)):
            out[key] = out.get(key, 0) + int(n)
    if live:
        lo, hi = live.bounds()
        e = SearchEvent
        total, clicks, zero = db.session.execute(select(
            func.count(e.id), func.sum(case((e.clicked_rank.is_not(None), 1), else_=0)),
            func.sum(case((e.result_count == 0, 1), else_=0)),
        ).where(e.created_at >= lo, e.created_at < hi, e.source == "page")).one()
        out["searches"] += int(total or 0)
        out["clicks"] += int(clicks or 0)
        out["zero"] += int(zero or 0)
    return out["searches"], out["clicks"], out["zero"]


def search_queries(period: Period, rolled: date | None, *, limit: int = 10) -> tuple[list, list]:
    """The top searches (query, times, clicks) and the top searches that found nothing
    (query, times with no results)."""
    days, live = _split(period, rolled)
    times, clicks, zero = defaultdict(int), defaultdict(int), defaultdict(int)
    into = {"query": times, "query_click": clicks, "query_zero": zero}
    if days:
        r = InsightDaily
        for metric, key, n in db.session.execute(select(r.metric, r.key, func.sum(r.value)).where(
                r.metric.in_(tuple(into)), r.day >= days[0], r.day <= days[1]).group_by(r.metric, r.key)):
            into[metric][key] += int(n)
    if live:
        lo, hi = live.bounds()
        e = SearchEvent
        for query, n, c, z in db.session.execute(
                select(e.query, func.count(e.id), func.sum(case((e.clicked_rank.is_not(None), 1), else_=0)),
                       func.sum(case((e.result_count == 0, 1), else_=0)))
                .where(e.created_at >= lo, e.created_at < hi, e.source == "page").group_by(e.query)):
            query = query[:60]
            times[query] += int(n)
            clicks[query] += int(c or 0)
            zero[query] += int(z or 0)
    top = sorted(times, key=lambda k: (-times[k], k))[:limit]
    none = sorted((k for k in zero if zero[k]), key=lambda k: (-zero[k], k))[:limit]
    return [(k, times[k], clicks[k]) for k in top], [(k, zero[k]) for k in none]


def suggestions_opened(period: Period) -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(SearchDeflection.opens), 0)).where(
        SearchDeflection.day >= period.start, SearchDeflection.day <= period.end)) or 0)


def found_answers(period: Period) -> tuple[int, int]:
    lo, hi = period.bounds()
    stmt = select(func.sum(case((FoundSurvey.found.is_(True), 1), else_=0)), func.count(FoundSurvey.id)).where(
        FoundSurvey.created_at >= lo, FoundSurvey.created_at < hi)
    if period.board is not None:
        stmt = stmt.where(FoundSurvey.category_id == period.board)
    yes, n = db.session.execute(stmt).one()
    return int(yes or 0), int(n or 0)


# --- team ---------------------------------------------------------------------------

def agent_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(sorted(ids)))).all())


__all__ = ["Period"]
