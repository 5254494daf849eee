"""Revisions of post bodies and topic titles, and the guard that makes every change
of member text leave one.

The text of a post (``Post.body``/``Post.body_html``) and a topic's title change only
through :func:`forum.topics.services.edit_post` and
:func:`forum.topics.services.edit_topic_title`, which add a revision in the same
flush. :func:`_no_silent_edits` refuses any flush that changes the text without one,
and :func:`_no_bulk_text_updates` refuses ``UPDATE posts SET body = ...`` statements
that would bypass the ORM.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, event, inspect
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


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_text_updates(state: ORMExecuteState) -> None:
    """Bulk ``update(Post).values(body=...)`` skips the flush; refuse it outright."""
    if not state.is_update:
        return
    stmt = state.statement
    table = getattr(stmt, "table", None)
    guarded = _GUARDED_COLUMNS.get(getattr(table, "name", None))
    if not guarded:
        return
    values = getattr(stmt, "_values", None) or {}
    names = {getattr(k, "key", getattr(k, "name", str(k))) for k in values}
    if names & guarded:
        raise SilentEditError(f"bulk UPDATE of {table.name}.{', '.join(sorted(names & guarded))} bypasses revisions")
