"""Topic and post writes. Services flush; the caller commits."""

from __future__ import annotations

from sqlalchemy import update

from forum import markup, signals
from forum.extensions import db
from forum.models import Category, Post, Topic, User
from forum.models.base import utcnow
from forum.permissions import can_create_topic, can_pin_topic, can_reply_to_topic

TITLE_MIN, TITLE_MAX = 5, 150
BODY_MIN, BODY_MAX = 1, markup.MAX_BODY_LENGTH


class TopicError(ValueError):
    """A refused write; the message is shown to the user, next to ``field`` when set."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class PermissionDenied(TopicError):
    pass


TITLE_LENGTH_MESSAGE = f"Titles are {TITLE_MIN} to {TITLE_MAX} characters long."
BODY_EMPTY_MESSAGE = "Write something first: the text cannot be empty."
BODY_LENGTH_MESSAGE = f"Posts are at most {BODY_MAX:,} characters long."
NUL_MESSAGE = "The text contains a NUL character (an invisible control code); remove it and try again."


def collapse_whitespace(title: str | None) -> str:
    return " ".join((title or "").split())


def normalise_newlines(body: str | None) -> str:
    return (body or "").replace("\r\n", "\n")


def _clean_title(title: str) -> str:
    title = collapse_whitespace(title)
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise TopicError(TITLE_LENGTH_MESSAGE, field="title")
    # PostgreSQL text cannot hold NUL; refuse it on every backend alike.
    if "\x00" in title:
        raise TopicError(NUL_MESSAGE, field="title")
    return title


def _render_body(body: str) -> tuple[str, str]:
    body = normalise_newlines(body)
    if not body.strip():
        raise TopicError(BODY_EMPTY_MESSAGE, field="body")
    if len(body) > BODY_MAX:
        raise TopicError(BODY_LENGTH_MESSAGE, field="body")
    if "\x00" in body:
        raise TopicError(NUL_MESSAGE, field="body")
    return body, markup.render_markdown(body)


def create_topic(category: Category, *, author: User, title: str, body: str) -> Topic:
    """Start a topic with its opening post."""
    if not can_create_topic(author, category):
        raise PermissionDenied("You cannot start a topic here.")
    title = _clean_title(title)
    body, html = _render_body(body)
    now = utcnow()
    topic = Topic(category=category, author=author, title=title, created_at=now, last_post_at=now, last_poster=author)
    db.session.add(topic)
    first_post = Post(topic=topic, author=author, is_first=True, body=body, body_html=html, created_at=now)
    db.session.add(first_post)
    db.session.flush()
    db.session.execute(
        update(Category).where(Category.id == category.id).values(topic_count=Category.topic_count + 1)
    )
    db.session.refresh(category)
    signals.topic_created.send(topic)
    signals.post_created.send(first_post)
    return topic


def reply_to_topic(topic: Topic, *, author: User, body: str, parent: Post | None = None) -> Post:
    """Reply to the topic, or to ``parent`` (a post of the same topic).

    Replying to the opening post is a top-level reply. Counters on the topic are
    updated in SQL so that concurrent replies do not lose counts.
    """
    if not can_reply_to_topic(author, topic):
        raise PermissionDenied("You cannot reply to this topic.")
    if parent is not None and parent.topic_id != topic.id:
        raise TopicError("That post belongs to another topic.", field="parent_id")
    body, html = _render_body(body)
    now = utcnow()
    post = Post(topic_id=topic.id, author=author, body=body, body_html=html, created_at=now)
    if parent is not None and not parent.is_first:
        post.parent_id = parent.id
        post.depth = parent.depth + 1
        post.thread_root_id = parent.thread_root_id or parent.id
    db.session.add(post)
    db.session.execute(
        update(Topic)
        .where(Topic.id == topic.id)
        .values(reply_count=Topic.reply_count + 1, last_post_at=now, last_poster_id=author.id)
    )
    db.session.flush()
    db.session.refresh(topic)
    signals.post_created.send(post)
    return post


def set_pinned(topic: Topic, pinned: bool, *, actor: User) -> bool:
    """Pin or unpin a topic. Returns whether anything changed."""
    if not can_pin_topic(actor, topic):
        raise PermissionDenied("Only staff can pin topics.")
    if topic.is_pinned == pinned:
        return False
    topic.is_pinned = pinned
    db.session.flush()
    return True
