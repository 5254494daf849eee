"""Read-side selects of the help desk. Every page runs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, null, select, union_all
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.helpdesk import assignment
from forum.models import Kudos, Post, Topic, TopicSubscription, User
from forum.models.base import utcnow
from forum.models.cases import QUEUE_STATES

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
    #: The board's response target, and how the wait compares: ``ok``, ``near`` (75 % of it) or ``over``.
    target_hours: int = 4
    level: str = "ok"

    @property
    def level_label(self) -> str:
        return {"ok": "within target", "near": "near target", "over": "over target"}[self.level]


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


def queue_conditions(*, category_id: int | None = None, state: str | None = None) -> list:
    """What "needs a response" means, as WHERE conditions: the case state is waiting or
    reopened (a member wrote last), on one board or all. Announcements and staff-started
    topics have no state and never match. New filters (e.g. assignment) add conditions here.
    ``state`` narrows to one of the two (the query reads each in index order)."""
    conds = [Topic.state.in_(QUEUE_STATES) if state is None else Topic.state == state, Topic.merged_into_id.is_(None)]
    if category_id is not None:
        conds.insert(0, Topic.category_id == category_id)
    return conds


def wait_level(waited: timedelta, target_hours: int) -> str:
    hours = waited.total_seconds() / 3600
    if hours >= target_hours:
        return "over"
    return "near" if hours >= 0.75 * target_hours else "ok"


def staff_queue(page: int = 1, category_id: int | None = None, *, show: str = "all", viewer_id: int | None = None,
                now=None) -> Queue:
    """The staff queue: topics that need a response, oldest wait first. ONE query. Each
    queue state is read in ``ix_topics_queue*`` index order, at most one page deep, and the
    two are merged (a single ``IN`` would sort every waiting topic); the topics come with
    author, board and claimer joined, and the number waiting, counted up to QUEUE_COUNT_CAP,
    rides along as a scalar subquery. ``show``: all, mine (claimed by ``viewer_id``) or
    unassigned (assignment.py; the ``ix_topics_staff_queue_assignee`` index serves both)."""
    assigned = assignment.queue_conditions(show, viewer_id)
    depth = page * QUEUE_PER_PAGE + 1
    arms = [
        select(Topic.id.label("id"), Topic.waiting_since.label("since"))
        .where(*queue_conditions(category_id=category_id, state=state), *assigned)
        .order_by(Topic.waiting_since, Topic.id).limit(depth).subquery()
        for state in QUEUE_STATES
    ]
    merged = union_all(*(select(arm.c.id, arm.c.since) for arm in arms)).subquery("queue")
    conds = queue_conditions(category_id=category_id) + assigned
    waiting = (
        select(func.count()).select_from(select(Topic.id).where(*conds).limit(QUEUE_COUNT_CAP).subquery())
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Topic, waiting.label("waiting"))
        .join(merged, merged.c.id == Topic.id)
        .options(joinedload(Topic.author), joinedload(Topic.category), joinedload(Topic.claimed_by))
        .order_by(merged.c.since, merged.c.id)
        .limit(QUEUE_PER_PAGE + 1)
        .offset((page - 1) * QUEUE_PER_PAGE)
    ).unique().all()
    now = now or utcnow()
    default_target = int(current_app.config["RESPONSE_TARGET_HOURS"])
    entries = []
    for t, _count in rows[:QUEUE_PER_PAGE]:
        waited = now - (t.waiting_since or t.created_at)
        target = t.category.response_target_hours or default_target
        entries.append(QueueEntry(t, waited, t.claimed_by_id is not None, target,
                                  wait_level(waited, target)))
    return Queue(entries, page, len(rows) > QUEUE_PER_PAGE, rows[0][1] if rows else 0)


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
