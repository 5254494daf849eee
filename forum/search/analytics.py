"""Search analytics: each search recorded after the response has gone, and the query
functions staff pages read (issue 14 builds the dashboard on :func:`insights`).

What is kept: the normalised query, filters, result count, latency, page, the result
opened and its rank, and at most a hash of a random per-session value (no user id,
no IP address). Rows older than ``SEARCH_ANALYTICS_DAYS`` (default 90) are deleted as
new ones arrive. ``SEARCH_ANALYTICS=false`` turns recording off.

Keystrokes: the similar-topics box asks on every pause while a title is typed; a
query from the same session within :data:`PREFIX_MERGE_SECONDS` that extends (or
trims) the previous one replaces it, so "wif", "wifi", "wifi cal" count once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, session
from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from forum.extensions import db
from forum.models import SearchEvent
from forum.models.base import utcnow
from forum.search import vocabulary

PREFIX_MERGE_SECONDS = 30
_SESSION_KEY = "search_sid"


def enabled() -> bool:
    return bool(current_app.config.get("SEARCH_ANALYTICS", True))


def normalise(q: str) -> str:
    return " ".join(vocabulary.words(q))[:256]


def session_hash(*, start: bool = False) -> str:
    """A hash of a random value kept in this browser session's cookie (no user id)."""
    sid = session.get(_SESSION_KEY)
    if not sid:
        sid = secrets.token_hex(8)
        # A visitor without a session keeps none on the search page, which sets no cookie
        # (it may be cached publicly): each of their searches counts on its own. The
        # live suggestions (``start``: JSON, no-store) start one to merge keystrokes.
        if session or start:
            session[_SESSION_KEY] = sid
    secret = str(current_app.config.get("SECRET_KEY", ""))
    return hashlib.blake2b(f"{secret}:{sid}".encode(), digest_size=8).hexdigest()


def new_key() -> str:
    return secrets.token_hex(16)


def record_later(response, **event) -> None:
    """Write ``event`` after the response has been sent (``call_on_close``), in its
    own session and transaction: never on the request's critical path."""
    if not enabled() or not event.get("query"):
        return
    app = current_app._get_current_object()

    def write() -> None:
        with app.app_context():
            try:
                _write(app, event)
            except Exception:  # analytics must never break anything
                app.logger.exception("search analytics: could not record a search")

    response.call_on_close(write)


def _write(app, event: dict) -> None:
    now = utcnow()
    days = float(app.config.get("SEARCH_ANALYTICS_DAYS", 90))
    with Session(db.engine) as s:
        merged = False
        if event.get("source") == "suggest" and event.get("session_hash"):
            last = s.scalar(select(SearchEvent).where(
                SearchEvent.source == "suggest", SearchEvent.session_hash == event["session_hash"],
                SearchEvent.created_at >= now - timedelta(seconds=PREFIX_MERGE_SECONDS),
            ).order_by(SearchEvent.id.desc()).limit(1))
            if last is not None and (event["query"].startswith(last.query) or last.query.startswith(event["query"])):
                last.query = event["query"]
                last.result_count = event.get("result_count", 0)
                last.latency_ms = event.get("latency_ms", 0)
                last.created_at = now
                merged = True
        if not merged:
            s.add(SearchEvent(created_at=now, **event))
        s.execute(delete(SearchEvent).where(SearchEvent.created_at < now - timedelta(days=days)))
        s.commit()


def record_click(key: str, rank: int, doc: str) -> bool:
    """The first result opened from search ``key``; flushes (the caller commits)."""
    event = db.session.scalar(select(SearchEvent).where(SearchEvent.key == key))
    if event is None or event.clicked_rank is not None:
        return False
    event.clicked_rank, event.clicked_doc = rank, doc
    db.session.flush()
    return True


# --- for staff ----------------------------------------------------------------------

@dataclass
class QueryStat:
    query: str
    searches: int
    clicks: int
    zero: int

    @property
    def click_through(self) -> float:
        return self.clicks / self.searches if self.searches else 0.0


def _stats(since, *, zero_only: bool, limit: int) -> list[QueryStat]:
    clicked = func.sum(case((SearchEvent.clicked_rank.is_not(None), 1), else_=0))
    zero = func.sum(case((SearchEvent.result_count == 0, 1), else_=0))
    stmt = (select(SearchEvent.query, func.count(SearchEvent.id), clicked, zero)
            .where(SearchEvent.created_at >= since).group_by(SearchEvent.query))
    if zero_only:
        stmt = stmt.having(zero > 0)
    stmt = stmt.order_by(func.count(SearchEvent.id).desc(), SearchEvent.query).limit(limit)
    return [QueryStat(q, n, c or 0, z or 0) for q, n, c, z in db.session.execute(stmt)]


def insights(*, days: int = 30, limit: int = 20) -> dict:
    """Top searches, searches that found nothing, and click-through over ``days``."""
    since = utcnow() - timedelta(days=days)
    total, clicks, zero = db.session.execute(select(
        func.count(SearchEvent.id),
        func.sum(case((SearchEvent.clicked_rank.is_not(None), 1), else_=0)),
        func.sum(case((SearchEvent.result_count == 0, 1), else_=0)),
    ).where(SearchEvent.created_at >= since, SearchEvent.source == "page")).one()
    mean_rank = db.session.scalar(select(func.avg(SearchEvent.clicked_rank)).where(
        SearchEvent.created_at >= since, SearchEvent.clicked_rank.is_not(None)))
    return {
        "days": days,
        "searches": total or 0,
        "click_through": (clicks or 0) / total if total else 0.0,
        "zero_result_share": (zero or 0) / total if total else 0.0,
        "mean_clicked_rank": float(mean_rank) if mean_rank is not None else None,
        "top": _stats(since, zero_only=False, limit=limit),
        "no_results": _stats(since, zero_only=True, limit=limit),
    }
