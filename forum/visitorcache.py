"""The visitor's topic and board pages, rendered once per version (issue 16).

A signed-out reader's topic page (or board page) body is the same for every visitor, so
it is rendered once and kept in the app cache (Flask-Caching: Redis with
``FORUM_REDIS_URL``, else per process) under a key made of versions **read from the
database with the page's own row**:

* ``topics.page_version`` (``categories.page_version`` for a board page), renewed in the
  same transaction as any write that changes what that topic's (board's) pages show;
* ``page_generation.generation``, renewed by writes that change many pages at once
  (a member's name, avatar or role, a board's name, incidents).

So a write shows on the next view, on every host and worker, with or without a shared
cache: the key changes in the commit itself. Nothing is deleted; old entries expire
(``FORUM_VISITOR_CACHE_SECONDS``, 0 turns the cache off).

What renews what is decided here, from the unit of work and the ORM statements, so that
no service has to remember it (``_after_flush``, ``_on_execute``, then ``_before_commit``
writes the new versions):

* a ``Post``: its topic (and the topic it left); a ``Topic``: itself and its board (both
  boards on a move); any other row with a ``topic_id`` (a private case, an incident link,
  a case transition...): that topic, except the tables in :data:`QUIET_TABLES`, which no
  visitor's page shows;
* a ``Category``: its board, and everything when more than its topic count changed;
  a ``User`` whose shown fields changed (:data:`USER_SHOWN`): everything;
* an ORM ``update()``/``delete()`` on ``posts`` or ``topics``: the topics its WHERE
  selects, looked up just before it runs (everything when it has no WHERE); any other
  bulk statement on a table a page shows: everything.

Writes outside the ORM session are the view counts (``forum.topics.viewcounts`` renews
the boards of the topics it counts; the topic page's count is filled in per request)
and read positions (members only).

Per request the cached body is filled in (:func:`fill`): relative times ("3 minutes
ago") and the topic's view count are holes in the stored copy, so the page is exactly
what a fresh render gives. Member ranks and incident links come from their own caches
(``FORUM_RANK_CACHE_SECONDS``, five minutes): a copy can show them that much older.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from flask import current_app, g, has_app_context, request, session
from markupsafe import Markup, escape
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from forum.extensions import cache

#: Tables with a ``topic_id`` that no visitor's page shows.
QUIET_TABLES = frozenset({
    "topic_reads", "notifications", "topic_subscriptions", "search_documents", "internal_notes",
    "insight_topic_facts", "insight_found_surveys", "job_outbox", "search_outbox", "kudos",
})
#: Bulk statements on these renew every page.
SHOWN_TABLES = frozenset({"users", "categories", "incidents", "incident_topics", "posts", "topics"})
#: The user fields a page shows (names, avatar, role badge, former member): a change
#: of any other field (email, password, suspension...) renews nothing.
USER_SHOWN = frozenset({"username", "display_name", "role", "title", "deleted_at", "avatar_key"})

_TOPICS = "forum_visitor_topics"
_BOARDS = "forum_visitor_boards"
_ALL = "forum_visitor_all"

_holes: ContextVar[list | None] = ContextVar("forum_visitor_holes", default=None)


# --- write side: what a commit renews -------------------------------------------------


def _topics(session: Session) -> set:
    return session.info.setdefault(_TOPICS, set())


def _boards(session: Session) -> set:
    return session.info.setdefault(_BOARDS, set())


def _changed(state, key: str) -> bool:
    return state.attrs[key].history.has_changes()


def _old_values(state, key: str) -> list:
    return [v for v in state.attrs[key].history.deleted if v is not None]


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context) -> None:
    from forum.models import Category, Post, Topic, User

    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Post):
            _topics(session).update({obj.topic_id, *_old_values(inspect(obj), "topic_id")} - {None})
        elif isinstance(obj, Topic):
            state = inspect(obj)
            if obj in session.dirty and not session.is_modified(obj, include_collections=False):
                continue
            _topics(session).add(obj.id)
            _boards(session).update({obj.category_id, *_old_values(state, "category_id")} - {None})
        elif isinstance(obj, Category):
            _boards(session).add(obj.id)
            state = inspect(obj)
            if obj in session.deleted or any(
                _changed(state, a.key) for a in state.mapper.column_attrs if a.key not in ("topic_count", "page_version")
            ):
                session.info[_ALL] = True
        elif isinstance(obj, User):
            if obj in session.new:
                continue  # a new member has no posts on any page yet
            state = inspect(obj)
            if obj in session.deleted or any(_changed(state, key) for key in USER_SHOWN):
                session.info[_ALL] = True
        else:
            table = getattr(type(obj), "__tablename__", None)
            if table in ("incidents", "incident_topics"):
                session.info[_ALL] = True
            topic_id = getattr(obj, "topic_id", None)
            if topic_id is not None and table not in QUIET_TABLES:
                _topics(session).add(topic_id)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name in QUIET_TABLES or name is None:
        return
    if name in ("posts", "topics") and not state.is_insert:
        where = state.statement.whereclause
        if where is not None and not isinstance(state.parameters, list | tuple):
            column = table.c.topic_id if name == "posts" else table.c.id
            values = getattr(state.statement, "_values", None) or {}
            if not any(getattr(k, "key", k) in ("category_id", "topic_id") for k in values):
                ids = state.session.connection().execute(select(column).where(where).distinct()).scalars()
                _topics(state.session).update(i for i in ids if i is not None)
                return
        state.session.info[_ALL] = True
    elif name in SHOWN_TABLES or "topic_id" in getattr(table, "c", {}):
        state.session.info[_ALL] = True


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    session.flush()  # so that this commit's last changes are counted
    topics = session.info.pop(_TOPICS, None)
    boards = session.info.pop(_BOARDS, None) or set()
    everything = session.info.pop(_ALL, False)
    if not (topics or boards or everything):
        return
    from forum.models import PageGeneration, Topic

    conn = session.connection()
    if topics:
        ids = sorted(topics)
        conn.execute(update(Topic.__table__).where(Topic.__table__.c.id.in_(ids))
                     .values(page_version=Topic.__table__.c.page_version + 1))
        boards |= set(conn.execute(select(Topic.__table__.c.category_id).where(Topic.__table__.c.id.in_(ids))
                                   .distinct()).scalars())
    if boards:
        bump_boards(conn, boards)
    if everything:
        table = PageGeneration.__table__
        if conn.execute(update(table).where(table.c.id == 1).values(generation=table.c.generation + 1)).rowcount == 0:
            conn.execute(table.insert().values(id=1, generation=1))


def bump_boards(conn, board_ids) -> None:
    """Renew these boards' page version (on ``conn``, in its transaction)."""
    from forum.models import Category

    table = Category.__table__
    conn.execute(update(table).where(table.c.id.in_(sorted(board_ids))).values(page_version=table.c.page_version + 1))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        for name in (_TOPICS, _BOARDS, _ALL):
            session.info.pop(name, None)


def generation_column():
    """``page_generation.generation`` as a scalar subquery, to read with a page's row."""
    from forum.models import PageGeneration

    return select(PageGeneration.generation).where(PageGeneration.id == 1).scalar_subquery()


# --- read side: the cached body and its holes ---------------------------------------


def enabled() -> bool:
    """Whether this request may read and fill the cache: a visitor's GET with an empty
    session (a waiting flashed message makes the page theirs)."""
    from flask_login import current_user

    return (request.method == "GET" and current_app.config["VISITOR_CACHE_SECONDS"] > 0
            and not current_user.is_authenticated and "_flashes" not in session)


def key(kind: str, *parts: Any) -> str:
    return ":".join(("visitor", kind, *map(str, parts), request.script_root, request.path))


def time_hole(value: datetime) -> str | None:
    """In a render being cached: a hole for ``value``'s relative time (``None`` otherwise)."""
    holes = _holes.get()
    if holes is None:
        return None
    holes[1].append(("time", value))
    return f"\x00{holes[0]}:{len(holes[1]) - 1}\x00"


def views_text(count: int) -> str:
    """``"12 views"``; a hole in a render being cached (filled with the topic's count)."""
    holes = _holes.get()
    if holes is not None:
        holes[1].append(("views",))
        return f"\x00{holes[0]}:{len(holes[1]) - 1}\x00"
    return f"{count} view{'' if count == 1 else 's'}"


def render_cached(cache_key: str, render, *, timeout: int | None = None) -> list:
    """The body ``render()`` gives, as stored parts: from the cache, or rendered now
    (with holes) and stored, for ``timeout`` seconds (``VISITOR_CACHE_SECONDS`` unless
    given)."""
    parts = cache.get(cache_key)
    if parts is not None:
        return parts
    nonce = secrets.token_hex(8)
    token = _holes.set((nonce, []))
    try:
        g.forum_visitor_render = True
        html = str(render())
        holes = _holes.get()[1]
    finally:
        _holes.reset(token)
        g.forum_visitor_render = False
    pieces = re.split(f"\x00{nonce}:(\\d+)\x00", html)
    parts = [piece if i % 2 == 0 else holes[int(piece)] for i, piece in enumerate(pieces)]
    cache.set(cache_key, parts, timeout=timeout or current_app.config["VISITOR_CACHE_SECONDS"])
    return parts


def fill(parts: list, *, view_count: int = 0) -> Markup:
    """The stored parts with their holes filled for this request."""
    from forum.templating import timesince

    out = []
    for part in parts:
        if type(part) is str:
            out.append(part)
        elif part[0] == "time":
            out.append(str(escape(timesince(part[1]))))
        else:
            out.append(views_text(view_count))
    return Markup("".join(out))  # noqa: S704 - our own render, holes filled with escaped text


def building() -> bool:
    """True while a body for the cache is being rendered (its reads must not come from
    another, staler cache where a fresh read is cheap)."""
    return has_app_context() and bool(g.get("forum_visitor_render"))
