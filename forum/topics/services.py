"""Topic and post writes. Services flush; the caller commits."""

from __future__ import annotations

from sqlalchemy import update

from forum import markup
from forum.extensions import db
from forum.models import Category, Post, Topic, User
from forum.models.base import utcnow
from forum.permissions import can_create_topic, can_pin_topic, can_reply_to_topic

TITLE_MIN, TITLE_MAX = 5, 150
BODY_MIN, BODY_MAX = 1, markup.MAX_BODY_LENGTH


class TopicError(ValueError):
    """A refused write; the message is shown to the user."""


class PermissionDenied(TopicError):
    pass


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise TopicError(f"Titles are {TITLE_MIN} to {TITLE_MAX} characters long.")
    return title


def _render_body(body: str) -> tuple[str, str]:
    body = (body or "").replace("\r\n", "\n")
    if not body.strip():
        raise TopicError("Write something first: the text cannot be empty.")
    if len(body) > BODY_MAX:
        raise TopicError(f"Posts are at most {BODY_MAX:,} characters long.")
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
    db.session.add(Post(topic=topic, author=author, is_first=True, body=body, body_html=html, created_at=now))
    db.session.flush()
    return topic


def reply_to_topic(topic: Topic, *, author: User, body: str, parent: Post | None = None) -> Post:
    """Reply to the topic, or to ``parent`` (a post of the same topic).

    Replying to the opening post is a top-level reply. Counters on the topic are
    updated in SQL so that concurrent replies do not lose counts.
    """
    if not can_reply_to_topic(author, topic):
        raise PermissionDenied("You cannot reply to this topic.")
    if parent is not None and parent.topic_id != topic.id:
        raise TopicError("That post belongs to another topic.")
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
