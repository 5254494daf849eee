"""Lists that are the same for every reader, kept in the app cache (issue 16): the home
page's boards and latest activity.

A list is stored as plain snapshots of the rows (:func:`snapshot`: every column, the
many-to-one relations that were loaded, and the model's own properties, so templates
read ``t.author.shown_name`` as on the ORM object) under a key that carries a
*generation*. Any transaction that writes ``topics``, ``categories``, ``users`` or ``posts``
(through the unit of work or an ORM ``update()``/``delete()``) gets a new generation
once it commits, so the next read rebuilds the list. With Redis
(``FORUM_REDIS_URL``) the generation is shared by every worker; with the default
per-process cache another worker's write shows after at most
``FORUM_LIST_CACHE_SECONDS``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import event, inspect
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Session

from forum.extensions import cache

GENERATION_KEY = "lists:generation"
_READS = "forum_member_reads"
#: posts: the lists show each opening post's kudos (forum.topics.listing).
WATCHED = frozenset({"topics", "categories", "users", "posts"})
_DIRTY = "forum_list_cache_dirty"


class Snapshot:
    """A read-only copy of a row; subclasses per model carry the model's properties."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {getattr(self, 'id', '?')}>"


_CLASSES: dict[type, type] = {}


def _snapshot_class(model: type) -> type:
    cls = _CLASSES.get(model)
    if cls is None:
        members: dict[str, Any] = {"__module__": __name__, "__qualname__": f"{model.__name__}Row"}
        for klass in reversed(model.__mro__):
            if not klass.__module__.startswith("forum.models"):
                continue
            for name, value in vars(klass).items():
                if isinstance(value, property | hybrid_property):
                    members[name] = value
        cls = type(f"{model.__name__}Row", (Snapshot,), members)
        globals()[cls.__name__] = cls  # importable by name, so the cache can pickle it
        _CLASSES[model] = cls
    return cls


def snapshot(obj):
    """A plain copy of an ORM object: its columns and its loaded many-to-one relations."""
    if obj is None:
        return None
    state = inspect(obj)
    mapper = state.mapper
    copy = _snapshot_class(mapper.class_)()
    loaded = state.dict
    for attr in mapper.column_attrs:
        setattr(copy, attr.key, loaded.get(attr.key))
    for rel in mapper.relationships:
        if rel.key in loaded and not rel.uselist:
            setattr(copy, rel.key, snapshot(loaded[rel.key]))
    return copy


def generation() -> str:
    """The lists' current generation (renewed by a commit that writes a watched table)."""
    return cache.get(GENERATION_KEY) or "0"


def cached_list(name: str, build: Callable[[], list]) -> list:
    """``build()``'s rows as snapshots, from the cache while no watched table changed."""
    generation = cache.get(GENERATION_KEY) or "0"
    key = f"lists:{name}:{generation}"
    rows = cache.get(key)
    if rows is None:
        rows = [_snap_row(row) for row in build()]
        cache.set(key, rows, timeout=current_app.config["LIST_CACHE_SECONDS"])
    return rows


def loaded_reads_version(user_id: int, version) -> None:
    """The signed-in member's *reads version* for this request, read with their session
    (forum.accounts.sessions): when their read positions last moved. It comes from the
    database, so every worker sees a move at once."""
    setattr(g, _READS, (user_id, "" if version is None else str(version)))


def cached_for_member(user, name: str, build: Callable[[], Any]) -> Any:
    """``build()`` (plain values: ids, counts, small dataclasses) for the signed-in member
    ``user``, from the cache while neither their read positions (the reads version) nor a
    watched table changed; kept at most ``LIST_CACHE_SECONDS``. Built fresh, not kept,
    when the request has no reads version for ``user`` (another user, a CLI, a POST)."""
    info = g.get(_READS) if has_request_context() else None
    if info is None or info[0] != getattr(user, "id", None):
        return build()
    generation = cache.get(GENERATION_KEY) or "0"
    key = f"member:{info[0]}:{info[1]}:{generation}:{name}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout=current_app.config["LIST_CACHE_SECONDS"])
    return value


def _snap_row(row):
    if isinstance(row, tuple):
        return tuple(_snap_row(item) for item in row)
    return snapshot(row) if hasattr(row, "_sa_instance_state") else row


def _mark(session: Session, tables) -> None:
    if not session.info.get(_DIRTY) and WATCHED.intersection(tables):
        session.info[_DIRTY] = True


def _declare_classes() -> None:
    """The snapshot classes of the cached models exist from import on, so a shared cache
    (Redis) written by another process can always be read."""
    from forum.models import Category, Topic, User

    for model in (Category, Topic, User):
        _snapshot_class(model)


_declare_classes()


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
    if session.info.pop(_DIRTY, False) and has_app_context():
        try:
            cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=0)
        except Exception:  # a cache outage must not fail a committed write
            current_app.logger.warning("could not refresh the cached lists", exc_info=True)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_DIRTY, None)
