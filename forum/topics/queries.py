"""Read-side selects for the home, category and topic pages. Each page runs a fixed
number of queries, whatever the size of the forum or of the topic."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from forum import listcache, visitorcache
from forum.extensions import db
from forum.models import Category, Post, Topic
from forum.models.cases import OPEN_STATES, RESOLVED
from forum.pagination import Page


def categories_with_counts() -> list[tuple[Category, int]]:
    """Every board with its topic count, the same for every reader: cached (forum.listcache)."""

    def build():
        cats = db.session.scalars(select(Category).order_by(Category.position, Category.id))
        return [(cat, cat.topic_count) for cat in cats]

    return listcache.cached_list("boards", build)


def recent_topics(limit: int = 10) -> list[Topic]:
    """The latest activity across all boards, with board and people: cached (forum.listcache)."""

    def build():
        return list(
            db.session.scalars(
                select(Topic)
                .where(Topic.merged_into_id.is_(None))
                .options(joinedload(Topic.category), joinedload(Topic.last_poster), joinedload(Topic.author))
                .order_by(Topic.last_post_at.desc(), Topic.id.desc())
                .limit(limit)
            )
        )

    return listcache.cached_list(f"recent:{limit}", build)


def popular_solved_topics(limit: int = 5) -> list[Topic]:
    """The home page's "popular solved" list: resolved topics with the most replies, the
    latest activity first among equals. One query, read from ix_topics_state_replies;
    cached like the other home lists (forum.listcache)."""

    def build():
        return list(
            db.session.scalars(
                select(Topic)
                .where(Topic.state == RESOLVED, Topic.merged_into_id.is_(None))
                .options(joinedload(Topic.category))
                .order_by(Topic.reply_count.desc(), Topic.last_post_at.desc())
                .limit(limit)
            )
        )

    return listcache.cached_list(f"solved:{limit}", build)


def category_by_slug(slug: str) -> Category | None:
    if not slug or "\x00" in slug:  # PostgreSQL refuses NUL in a text parameter (a 500)
        return None
    return db.session.scalar(select(Category).where(Category.slug == slug))


STATUSES = ("all", "unanswered", "unresolved", "resolved")


def _status_filter(status: str):
    """Resolved and Unresolved read the case state (forum.models.cases), nothing else."""
    return {
        "unanswered": Topic.reply_count == 0,
        "unresolved": Topic.state.in_(OPEN_STATES),
        "resolved": Topic.state == RESOLVED,
    }.get(status)


def category_topics(category: Category, page: int, status: str = "all", label: str | None = None) -> Page:
    """A board's topics, pinned first, then by last activity; filtered by ``status``
    (one of :data:`STATUSES`; ``all`` uses the stored topic count) and by issue ``label``."""
    per_page = current_app.config["TOPICS_PER_PAGE"]
    cond = _status_filter(status)
    if label is not None:
        cond = Topic.issue_label == label if cond is None else and_(cond, Topic.issue_label == label)
    base = select(Topic).where(Topic.category_id == category.id, Topic.merged_into_id.is_(None))
    if cond is not None:
        base = base.where(cond)
        total = db.session.scalar(
            select(func.count(Topic.id)).where(Topic.category_id == category.id, Topic.merged_into_id.is_(None), cond)
        ) or 0
    else:
        total = category.topic_count
    order = (Topic.is_pinned.desc(), Topic.last_post_at.desc(), Topic.id.desc())
    # The page's ids first, from the index alone (ix_topics_category_page holds the "not
    # merged" filter), then only those rows with their people: a deep page costs what
    # page 1 costs, not one table row and two joins per skipped topic.
    page_ids = base.with_only_columns(Topic.id).order_by(*order).limit(per_page).offset((page - 1) * per_page)
    topics = db.session.scalars(
        select(Topic)
        .where(Topic.id.in_(page_ids.scalar_subquery()))
        .options(joinedload(Topic.last_poster), joinedload(Topic.author))
        .order_by(*order)
    )
    return Page(list(topics), page, per_page, total)


def category_for_page(slug: str) -> tuple[Category | None, int | None]:
    """A board by slug with the page generation (forum.visitorcache), in one query."""
    if not slug or "\x00" in slug:
        return None, None
    row = db.session.execute(select(Category, visitorcache.generation_column()).where(Category.slug == slug)).first()
    return (row[0], row[1]) if row else (None, None)


def topic_for_page(topic_id: int) -> tuple[Topic | None, int | None]:
    """A topic with its board and the page generation (forum.visitorcache), in one query."""
    row = db.session.execute(
        select(Topic, visitorcache.generation_column()).where(Topic.id == topic_id).options(joinedload(Topic.category))
    ).first()
    return (row[0], row[1]) if row else (None, None)


def get_topic(topic_id: int) -> Topic | None:
    return db.session.scalar(select(Topic).where(Topic.id == topic_id).options(joinedload(Topic.category)))


def _top_level_filter(topic_id: int):
    # "= false", not "IS false": PostgreSQL uses an index only for the former
    # (ix_posts_topic_threads covers the count and the page's offset).
    return and_(Post.topic_id == topic_id, Post.parent_id.is_(None), Post.is_first == false())


@dataclass
class ThreadEntry:
    post: Post
    #: Nesting shown on the page, capped at MAX_REPLY_DEPTH.
    indent: int
    #: Set when the post is deeper than the cap and so shown flat: the post it answers.
    reply_to: Post | None


def topic_page(topic: Topic, page: int) -> tuple[Post | None, Page]:
    """The opening post (on page 1 only) and one page of top-level threads, each
    followed by its replies in depth-first order."""
    per_page = current_app.config["THREADS_PER_PAGE"]
    max_depth = current_app.config["MAX_REPLY_DEPTH"]
    threads = _top_level_filter(topic.id)
    # One statement: the page's threads (their roots from ix_posts_topic_threads, then every
    # reply under them), the opening post on page 1, and the number of threads on each row.
    page_roots = select(Post.id).where(threads).order_by(Post.id).limit(per_page).offset((page - 1) * per_page)
    # Each branch of the OR is one index range (primary key, ix_posts_topic_root, ix_posts_topic_threads).
    wanted = or_(
        Post.id.in_(page_roots.scalar_subquery()),
        and_(Post.topic_id == topic.id, Post.thread_root_id.in_(page_roots.scalar_subquery())),
    )
    if page == 1:  # the opening post never has a parent
        wanted = or_(and_(Post.topic_id == topic.id, Post.parent_id.is_(None), Post.is_first.is_(True)), wanted)
    total_threads = select(func.count(Post.id)).where(threads).scalar_subquery()
    rows = db.session.execute(
        select(Post, total_threads).where(wanted).options(joinedload(Post.author)).order_by(Post.id)
    ).all()
    posts = [row[0] for row in rows]
    # No row: a page past the end (a 404) or a topic without posts; count them alone.
    total = rows[0][1] if rows else db.session.scalar(select(func.count(Post.id)).where(threads)) or 0
    root_ids = [p.id for p in posts if p.parent_id is None and not p.is_first]
    first = next((p for p in posts if p.is_first), None)
    by_id = {p.id: p for p in posts}
    children: dict[int, list[Post]] = {}
    for p in posts:
        if p.parent_id is not None:
            children.setdefault(p.parent_id, []).append(p)
    entries: list[ThreadEntry] = []

    def walk(post: Post) -> None:
        stack = [post]
        while stack:
            current = stack.pop()
            deep = current.depth > max_depth
            entries.append(ThreadEntry(current, min(current.depth, max_depth), by_id.get(current.parent_id) if deep else None))
            stack.extend(reversed(children.get(current.id, [])))

    for root_id in root_ids:
        if root_id in by_id:
            walk(by_id[root_id])
    return first, Page(entries, page, per_page, total)


def page_of_post(post: Post) -> int:
    """The topic page that shows ``post``: its thread's position among the threads."""
    if post.is_first:
        return 1
    root_id = post.thread_root_id or post.id
    before = db.session.scalar(
        select(func.count(Post.id)).where(_top_level_filter(post.topic_id), Post.id < root_id)
    ) or 0
    return before // current_app.config["THREADS_PER_PAGE"] + 1


def attach_topic(posts: list[Post], topic: Topic) -> None:
    """Set each post's ``topic`` to the loaded ``topic`` without a lazy load: the page's
    permission predicates (``can_accept_solution`` and others) read ``post.topic`` for
    every post, and each lazy load, even one answered from the identity map, costs more
    than the rest of the check (issue 16's profile of a member's topic page)."""
    for post in posts:
        if "topic" not in post.__dict__ and post.topic_id == topic.id:
            set_committed_value(post, "topic", topic)
