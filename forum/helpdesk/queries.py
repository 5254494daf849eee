"""Read-side selects of the help desk. Every page runs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, null, select, union_all
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.helpdesk import assignment
from forum.models import Kudos, Post, Topic, TopicSubscription, User
from forum.models.base import utcnow

QUEUE_PER_PAGE = 50
#: The queue says "1,000+ waiting" rather than counting a backlog row by row.
QUEUE_COUNT_CAP = 1000


@dataclass
class TopicExtras:
    """What the topic page shows beyond the posts: answers, the viewer's kudos and subscription."""

    official: Post | None = None
    solution: Post | None = None
    kudos_given: set[int] = field(default_factory=set)
    subscription: str | None = None
    #: The forms the page's buttons share (built once per page, not once per post).
    forms: dict = field(default_factory=dict)


def topic_extras(topic: Topic, posts: list[Post], viewer) -> TopicExtras:
    """At most two queries: the answer posts (on a resolved topic), and the viewer's
    kudos on the page's posts together with their subscription."""
    extras = TopicExtras()
    answer_ids = {i for i in (topic.official_answer_post_id, topic.solution_post_id) if i}
    if answer_ids:
        found = {
            p.id: p
            for p in db.session.scalars(select(Post).where(Post.id.in_(answer_ids)).options(joinedload(Post.author)))
        }
        extras.official = found.get(topic.official_answer_post_id)
        extras.solution = found.get(topic.solution_post_id)
    if getattr(viewer, "is_authenticated", False):
        # One round trip for both: the page's posts the viewer gave kudos to, and the
        # viewer's subscription to the topic (a row with a NULL post id).
        ids = [p.id for p in posts] or [0]
        rows = db.session.execute(
            union_all(
                select(Kudos.post_id.label("post_id"), null().label("state")).where(
                    Kudos.user_id == viewer.id, Kudos.post_id.in_(ids)
                ),
                select(null().label("post_id"), TopicSubscription.state).where(
                    TopicSubscription.user_id == viewer.id, TopicSubscription.topic_id == topic.id
                ),
            )
        ).all()
        extras.kudos_given = {row.post_id for row in rows if row.post_id is not None}
        extras.subscription = next((row.state for row in rows if row.post_id is None), None)
    return extras


@dataclass
class QueueEntry:
    topic: Topic
    waited: timedelta
    claimed: bool


@dataclass
class Queue:
    entries: list[QueueEntry]
    page: int
    has_next: bool
    #: Topics waiting, counted up to QUEUE_COUNT_CAP.
    waiting: int

    @property
    def waiting_capped(self) -> bool:
        return self.waiting >= QUEUE_COUNT_CAP

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def _waiting_filter(category_id: int | None):
    conds = [Topic.has_staff_reply.is_(False), Topic.is_resolved.is_(False)]
    if category_id is not None:
        conds.insert(0, Topic.category_id == category_id)
    return conds


def staff_queue(page: int, category_id: int | None = None, *, show: str = "all", viewer_id: int | None = None) -> Queue:
    """Topics without a staff reply or an answer, oldest first. Two queries, each
    walking the ``ix_topics_staff_queue*`` index: the page and a capped count.
    ``show``: all, mine (claimed by ``viewer_id``) or unassigned (assignment.py)."""
    conds = _waiting_filter(category_id) + assignment.queue_conditions(show, viewer_id)
    rows = list(
        db.session.scalars(
            select(Topic)
            .where(*conds)
            .options(joinedload(Topic.author), joinedload(Topic.category), joinedload(Topic.claimed_by))
            .order_by(Topic.created_at, Topic.id)
            .limit(QUEUE_PER_PAGE + 1)
            .offset((page - 1) * QUEUE_PER_PAGE)
        )
    )
    waiting = db.session.scalar(
        select(func.count()).select_from(select(Topic.id).where(*conds).limit(QUEUE_COUNT_CAP).subquery())
    ) or 0
    now = utcnow()
    entries = [QueueEntry(t, now - t.created_at, t.claimed_by_id is not None) for t in rows[:QUEUE_PER_PAGE]]
    return Queue(entries, page, len(rows) > QUEUE_PER_PAGE, waiting)


def profile_stats(user: User) -> dict[str, int]:
    """Kudos received, posts, and accepted and official answers: one query."""
    accepted = select(func.count(Topic.id)).join(Post, Post.id == Topic.solution_post_id).where(Post.author_id == user.id)
    official = (
        select(func.count(Topic.id)).join(Post, Post.id == Topic.official_answer_post_id).where(Post.author_id == user.id)
    )
    row = db.session.execute(
        select(
            func.count(Post.id),
            func.coalesce(func.sum(Post.kudos_count), 0),
            accepted.scalar_subquery(),
            official.scalar_subquery(),
        ).where(Post.author_id == user.id)
    ).one()
    return {"posts": row[0], "kudos": int(row[1]), "accepted": row[2], "official": row[3]}
