"""Unread tracking: each member's read position per topic, the markers of topic lists,
"new since your last visit" counts on boards, and the first unread post.

A position is a high-water mark on post ids (``TopicRead.last_read_post_id``): a topic's
posts get increasing ids, so "unread" is "a visible post by someone else with a larger
id". Viewing a topic page moves it to the largest id the page showed (capped at the
page's last thread when later pages exist, so their threads stay unread); the write is
one upsert, only when the position moves forward, in a short transaction after the page
is built (a GET's own session writes nothing).

- **new**: a topic the member has never opened, started after their baseline (the later
  of when they joined and ``UNREAD_DAYS`` ago) by someone else;
- **unread**: a topic they opened with visible posts by others after their position
  (hidden posts do not count: readers see a placeholder, not news);
- old topics never opened are neither: a new member does not see the whole forum "new".

Visitors have no positions and see no markers. Every function is one bounded query
keyed by the page's topic ids (or, for the board counts, the ``UNREAD_DAYS`` window).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import after_this_request, current_app
from flask_login import current_user
from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from forum import listcache
from forum.extensions import db
from forum.models import Post, Topic, TopicRead, User
from forum.models.base import utcnow

NEW, UNREAD = "new", "unread"


@dataclass(frozen=True)
class ReadMark:
    """What a list row or the topic page says about the viewer's reading of a topic."""

    #: ``"new"``, ``"unread"`` or ``None`` (read, or nothing to say).
    state: str | None = None
    #: Unread visible posts by others (for ``new``: the replies, plus the opening post).
    count: int = 0
    #: The first unread post (the jump target); ``None`` for a new topic (open it at the top).
    first_unread_id: int | None = None
    #: The stored position (0 when the member never opened the topic).
    position: int = 0


NO_MARK = ReadMark()


def baseline(user: User, now: datetime | None = None) -> datetime:
    """Topics started before this are never "new" for ``user``."""
    now = now or utcnow()
    window = now - timedelta(days=current_app.config["UNREAD_DAYS"])
    joined = user.created_at
    return max(window, joined) if joined is not None else window


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def marks_for(topics: list[Topic], user) -> dict[int, ReadMark]:
    """The viewer's marks for a page of topics: one query (none for visitors, none
    while the member's cached marks for these topics hold: :func:`forum.listcache.cached_for_member`)."""
    if not _signed_in(user) or not topics:
        return {}
    topics = list(topics)
    name = "marks:" + ",".join(str(t.id) for t in topics)
    return listcache.cached_for_member(user, name, lambda: _marks(topics, user))


def _marks(topics: list[Topic], user) -> dict[int, ReadMark]:
    ids = [t.id for t in topics]
    unread = and_(Post.topic_id == TopicRead.topic_id, Post.id > TopicRead.last_read_post_id,
                  Post.is_hidden.is_(False), Post.author_id != user.id)
    rows = db.session.execute(
        select(TopicRead.topic_id, TopicRead.last_read_post_id, func.min(Post.id), func.count(Post.id))
        .outerjoin(Post, unread)
        .where(TopicRead.user_id == user.id, TopicRead.topic_id.in_(ids))
        .group_by(TopicRead.topic_id, TopicRead.last_read_post_id)
    ).all()
    read = {row[0]: row for row in rows}
    since = baseline(user)
    marks: dict[int, ReadMark] = {}
    for t in topics:
        row = read.get(t.id)
        if row is None:
            if t.created_at > since and t.author_id != user.id:
                marks[t.id] = ReadMark(NEW, t.reply_count + 1)
        elif row[3]:
            marks[t.id] = ReadMark(UNREAD, row[3], row[2], row[1])
        else:
            marks[t.id] = ReadMark(None, 0, None, row[1])
    return marks


def board_new_counts(user) -> dict[int, int]:
    """Per board, how many topics are new or had activity by others since the member
    last read them ("new since your last visit"). One grouped query over the topics
    active within ``UNREAD_DAYS`` (the ``last_post_at`` index); ``{}`` for visitors.
    Compares times, not posts, so a hidden last reply still counts here."""
    if not _signed_in(user):
        return {}
    return listcache.cached_for_member(user, "board-new", lambda: _board_new_counts(user))


def _board_new_counts(user) -> dict[int, int]:
    since = baseline(user)
    rows = db.session.execute(
        select(Topic.category_id, func.count(Topic.id))
        .outerjoin(TopicRead, and_(TopicRead.topic_id == Topic.id, TopicRead.user_id == user.id))
        .where(
            Topic.last_post_at > since,
            Topic.merged_into_id.is_(None),
            or_(Topic.last_poster_id.is_(None), Topic.last_poster_id != user.id),
            or_(
                and_(TopicRead.topic_id.is_(None), Topic.created_at > since, Topic.author_id != user.id),
                and_(TopicRead.topic_id.is_not(None), Topic.last_post_at > TopicRead.updated_at),
            ),
        )
        .group_by(Topic.category_id)
    ).all()
    return {category_id: n for category_id, n in rows}


def viewing_topic(topic: Topic, shown: list[Post], *, more_pages: bool) -> ReadMark:
    """The signed-in viewer is shown ``shown`` (this page's posts) of ``topic``: return
    their mark as it was before this view (for the "jump to first unread" link), and move
    their position forward once the page is built. One query to read, at most one upsert."""
    if not _signed_in(current_user):
        return NO_MARK
    mark = marks_for([topic], current_user).get(topic.id, NO_MARK)
    if not shown:
        return mark
    if more_pages:  # later pages' threads stay unread: stop at this page's last thread
        candidate = max((p.id for p in shown if p.parent_id is None), default=0)
    else:
        candidate = max(p.id for p in shown)
    if candidate <= mark.position:
        return mark
    user_id, topic_id, seen_at = current_user.id, topic.id, utcnow()

    @after_this_request
    def _record(response):
        try:
            record_position(user_id, topic_id, candidate, at=seen_at)
        except SQLAlchemyError:  # the page is built: the position stays where it was
            current_app.logger.warning("could not record read position in topic %s", topic_id, exc_info=True)
        return response

    return mark


def record_position(user_id: int, topic_id: int, post_id: int, *, at: datetime | None = None) -> None:
    """Move ``user_id``'s position in ``topic_id`` to ``post_id`` if that is forward: one
    upsert in a short transaction of its own (never backwards, even when two tabs race)."""
    table = TopicRead.__table__
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(user_id=user_id, topic_id=topic_id, last_read_post_id=post_id,
                                        updated_at=at or utcnow())
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.user_id, table.c.topic_id],
        set_={"last_read_post_id": stmt.excluded.last_read_post_id, "updated_at": stmt.excluded.updated_at},
        where=table.c.last_read_post_id < stmt.excluded.last_read_post_id,
    )
    with db.engine.begin() as conn:
        conn.execute(stmt)
