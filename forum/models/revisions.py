"""Revisions of post bodies and topic titles, and the guard that makes every change
of member text leave one.

The text of a post (``Post.body``/``Post.body_html``) and a topic's title change only
through :func:`forum.topics.services.edit_post` and
:func:`forum.topics.services.edit_topic_title`, which add a revision in the same
flush. :func:`_no_silent_edits` refuses any flush that changes the text without one,
and :func:`_no_bulk_text_updates` and :func:`_no_core_text_updates` refuse
``UPDATE posts SET body = ...`` statements that would bypass it (bulk ``.values()``,
ORM bulk UPDATE by primary key, ``bulk_update_mappings``, ``connection.execute``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Engine, ForeignKey, Integer, String, Text, UniqueConstraint, Update, event, inspect
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.topics import Post, Topic
from forum.models.users import User


class PostRevision(db.Model):
    """One change of a post's text: before and after, who, when and (for others) why."""

    __tablename__ = "post_revisions"
    __table_args__ = (UniqueConstraint("post_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    #: 1 for the first edit, then 2, 3 ... (``Post.revision_count`` after this edit).
    number: Mapped[int] = mapped_column(Integer)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    old_body: Mapped[str] = mapped_column(Text)
    new_body: Mapped[str] = mapped_column(Text)
    #: Required when the editor is not the author; shown publicly.
    reason: Mapped[str | None] = mapped_column(Text)
    #: True when someone other than the author made the edit.
    by_moderator: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: The old text held personal data: only staff may read it in the history.
    old_text_staff_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    post: Mapped[Post] = relationship()
    editor: Mapped[User | None] = relationship()


class TopicRevision(db.Model):
    """One change of a topic's title."""

    __tablename__ = "topic_revisions"
    __table_args__ = (UniqueConstraint("topic_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    number: Mapped[int] = mapped_column(Integer)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    old_title: Mapped[str] = mapped_column(String(150))
    new_title: Mapped[str] = mapped_column(String(150))
    reason: Mapped[str | None] = mapped_column(Text)
    by_moderator: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    topic: Mapped[Topic] = relationship()
    editor: Mapped[User | None] = relationship()


class SilentEditError(RuntimeError):
    """Raised when a post's text or a topic's title changes without a revision."""


def _changed(obj, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "before_flush")
def _no_silent_edits(session: Session, flush_context, instances) -> None:
    new_post_revs = [o for o in session.new if isinstance(o, PostRevision)]
    new_topic_revs = [o for o in session.new if isinstance(o, TopicRevision)]
    for obj in session.dirty:
        if isinstance(obj, Post) and _changed(obj, "body", "body_html"):
            if not any((r.post is obj or (r.post_id is not None and r.post_id == obj.id)) and r.new_body == obj.body
                       for r in new_post_revs):
                raise SilentEditError(f"post {obj.id}: its text changed without a PostRevision (use edit_post)")
        elif isinstance(obj, Topic) and _changed(obj, "title"):
            if not any((r.topic is obj or (r.topic_id is not None and r.topic_id == obj.id)) and r.new_title == obj.title
                       for r in new_topic_revs):
                raise SilentEditError(f"topic {obj.id}: its title changed without a TopicRevision (use edit_topic_title)")


_GUARDED_COLUMNS = {"posts": {"body", "body_html"}, "topics": {"title"}}
#: ``Connection.info`` key: set while a flush (which passed :func:`_no_silent_edits`)
#: writes posts or topics, so that :func:`_no_core_text_updates` lets it through.
_FLUSHING_TEXT = "forum.revisions.flushing"


def _refuse_guarded(table, stmt, params) -> None:
    """Raise if ``stmt`` (an UPDATE) would set member text: through ``.values(...)``
    or through its parameters (ORM bulk UPDATE by primary key, ``bulk_update_mappings``,
    ``connection.execute(update(...), {...})``), whose keys become the SET clause."""
    guarded = _GUARDED_COLUMNS.get(getattr(table, "name", None))
    if not guarded:
        return
    names = {getattr(k, "key", getattr(k, "name", str(k))) for k in getattr(stmt, "_values", None) or {}}
    rows = params if isinstance(params, list | tuple) else [params]
    names.update(key for row in rows if isinstance(row, dict) for key in row)
    if names & guarded:
        raise SilentEditError(f"bulk UPDATE of {table.name}.{', '.join(sorted(names & guarded))} bypasses revisions")


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_text_updates(state: ORMExecuteState) -> None:
    """Bulk ``update(Post).values(body=...)`` and ``session.execute(update(Post), [{"id":
    ..., "body": ...}])`` skip the flush; refuse them outright."""
    if state.is_update:
        _refuse_guarded(getattr(state.statement, "table", None), state.statement, state.parameters)


@event.listens_for(Post, "before_update")
@event.listens_for(Topic, "before_update")
def _flush_writes_text(mapper, connection, target) -> None:
    connection.info[_FLUSHING_TEXT] = True


@event.listens_for(Post, "after_update")
@event.listens_for(Topic, "after_update")
def _flush_wrote_text(mapper, connection, target) -> None:
    connection.info.pop(_FLUSHING_TEXT, None)


@event.listens_for(Engine, "rollback")
def _flush_failed(connection) -> None:
    connection.info.pop(_FLUSHING_TEXT, None)


@event.listens_for(Engine, "before_execute")
def _no_core_text_updates(connection, clauseelement, multiparams, params, execution_options) -> None:
    """The same refusal for UPDATEs that never pass ``do_orm_execute``:
    ``Session.bulk_update_mappings``, ``bulk_save_objects`` and ``connection.execute``.
    The flush's own UPDATEs are let through (the flush was checked by
    :func:`_no_silent_edits`); the mapper's ``before_update``/``after_update`` events,
    which bulk operations do not fire, mark them."""
    if not isinstance(clauseelement, Update) or connection.info.get(_FLUSHING_TEXT):
        return
    _refuse_guarded(clauseelement.table, clauseelement, list(multiparams or ()) + [params or {}])
