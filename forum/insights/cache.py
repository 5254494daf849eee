"""The dashboard's history blocks, kept in the app cache until the rows behind them change
(issue 14, "built to stay fast").

A block computed from the rollup tables (and the incidents, flags and moderation log) is
the same for every viewer allowed to see it, so it is stored under a key naming the
block, the period, the board, what else it reads (today, the hour, the spike threshold) and the *generation* of each
table it is computed from. Any transaction that writes one of those tables (the rollup
job, a topic's facts refreshed after a state change, an incident update) gives that table
a new generation once it commits, so the next request computes the block again: the
figures are never older than the rows. The live parts (the backlog, the most negative
open topics, the agents' names) are read on every request. With Redis
(``FORUM_REDIS_URL``) the generations are shared by every worker; with the default
per-process cache another worker's write shows after at most
``FORUM_INSIGHTS_CACHE_SECONDS``.
"""

from __future__ import annotations

import uuid

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from forum.extensions import cache

#: The tables each cached block is computed from.
DEPENDS = {
    "speed": ("insight_topic_facts", "categories"),
    "resolution": ("insight_topic_facts",),
    "satisfaction": ("insight_topic_facts",),
    "team": ("insight_topic_facts", "insight_daily"),
    "talk": ("insight_daily", "insight_term_hours"),
    "sentiment": ("insight_daily",),
    "incidents": ("incidents", "incident_updates", "affected_reports"),
    "moderation": ("flags", "moderation_log"),
}
#: ... and, for one board, the tables that say which board a flag or log entry is on
#: (a topic moved, a post split off).
BOARD_DEPENDS = {"moderation": ("topics", "posts")}
WATCHED = frozenset(t for tables in (*DEPENDS.values(), *BOARD_DEPENDS.values()) for t in tables)
_DIRTY = "forum_insights_cache_dirty"


def _generation_key(table: str) -> str:
    return f"insights:generation:{table}"


def keys(names, period, extra: dict[str, str]) -> dict[str, str]:
    """The cache key of each cacheable block in ``names`` (one cache read for the generations)."""
    depends = {n: DEPENDS[n] + (BOARD_DEPENDS.get(n, ()) if period.board is not None else ())
               for n in names if n in DEPENDS}
    if not depends:
        return {}
    tables = sorted({t for ts in depends.values() for t in ts})
    gens = dict(zip(tables, cache.get_many(*[_generation_key(t) for t in tables]), strict=True))
    base = f"{period.start.isoformat()}:{period.end.isoformat()}:{period.board or 'all'}"
    return {n: ":".join(["insights:block", n, base, extra.get(n, ""), *[str(gens[t] or "0") for t in ts]])
            for n, ts in depends.items()}


def get_many(keyed: dict[str, str]) -> dict[str, dict]:
    if not keyed:
        return {}
    names = list(keyed)
    return {n: v for n, v in zip(names, cache.get_many(*[keyed[n] for n in names]), strict=True) if v is not None}


def set_many(blocks: dict[str, dict]) -> None:
    if blocks:
        cache.set_many(blocks, timeout=int(current_app.config.get("INSIGHTS_CACHE_SECONDS", 60)))


def _mark(session: Session, tables) -> None:
    found = WATCHED.intersection(tables)
    if found:
        session.info.setdefault(_DIRTY, set()).update(found)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context) -> None:
    objects = [*session.new, *session.dirty, *session.deleted]
    _mark(session, {getattr(type(o), "__tablename__", None) for o in objects})


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        _mark(state.session, {getattr(table, "name", None)})


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    tables = session.info.pop(_DIRTY, None)
    if tables and has_app_context():
        try:
            cache.set_many({_generation_key(t): uuid.uuid4().hex for t in tables}, timeout=0)
        except Exception:  # a cache outage must not fail a committed write
            current_app.logger.warning("could not refresh the cached insights", exc_info=True)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_DIRTY, None)
