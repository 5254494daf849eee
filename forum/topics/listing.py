"""What a topic list row shows beyond the topic row itself: the opening post's kudos and
the viewer's read mark, plus the people (asker, last poster) for the avatars.

Batched lookups keyed by the page's topic ids, so the list queries stay as they are
(and whatever they become): one query for kudos, one for the marks (members only), and
one for people only when the list query did not already load them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import inspect, select

from forum import listcache, visitorcache
from forum.extensions import db
from forum.models import Post, Topic, User
from forum.topics.reading import NO_MARK, ReadMark, marks_for


@dataclass(frozen=True)
class RowInfo:
    kudos: int = 0
    mark: ReadMark = field(default=NO_MARK)


EMPTY = RowInfo()


class ListInfo(dict):
    """``topic id -> RowInfo``; a missing topic reads as an empty row."""

    def __missing__(self, key) -> RowInfo:
        return EMPTY


def _load_people(topics: list[Topic]) -> None:
    """Put the asker and last poster of each topic in the session's identity map (one
    query, only for those the list did not load), so ``t.author`` and ``t.last_poster``
    need no query of their own."""
    wanted = set()
    for t in topics:
        state = inspect(t, raiseerr=False)
        if state is None:  # a cached snapshot (forum.listcache): it carries its people
            continue
        unloaded = state.unloaded
        if "author" in unloaded:
            wanted.add(t.author_id)
        if "last_poster" in unloaded and t.last_poster_id is not None:
            wanted.add(t.last_poster_id)
    if wanted:
        db.session.scalars(select(User).where(User.id.in_(wanted))).all()


def list_info(topics, user, *, people: bool = True) -> ListInfo:
    """Row extras for ``topics`` (any iterable of Topic) as seen by ``user``; ``people``
    false for lists that show no avatars (a profile's own activity)."""
    topics = [t for t in topics if t is not None]
    info = ListInfo()
    if not topics:
        return info
    if people:
        _load_people(topics)
    ids = sorted({t.id for t in topics})
    def load():
        return db.session.execute(
            select(Post.topic_id, Post.kudos_count).where(Post.topic_id.in_(ids), Post.is_first.is_(True))
        ).all()

    # A visitor's page being rendered for its own cache reads them fresh: that copy is
    # keyed by versions from the database, which another worker's list cache may lag.
    kudos = dict(load() if visitorcache.building() else listcache.cached_list(f"kudos:{','.join(map(str, ids))}", load))
    marks = marks_for(topics, user)
    for topic_id in ids:
        info[topic_id] = RowInfo(kudos.get(topic_id, 0) or 0, marks.get(topic_id, NO_MARK))
    return info
