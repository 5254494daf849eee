"""Topic and post writes. Services flush; the caller commits."""

from __future__ import annotations

from sqlalchemy import update

from forum import actions, markup, signals
from forum.audit import record_staff_action
from forum.extensions import db
from forum.models import Category, Post, Topic, User
from forum.models.base import utcnow
from forum.permissions import (
    can_create_topic,
    can_edit_post,
    can_edit_topic_title,
    can_pin_topic,
    can_reply_to_topic,
)
from forum.text import clean_block, clean_line, clean_reason

TITLE_MIN, TITLE_MAX = 5, 150
BODY_MIN, BODY_MAX = 1, markup.MAX_BODY_LENGTH


class TopicError(actions.ActionError):
    """A refused topic or post write; the message is shown to the user, next to ``field``."""


class PermissionDenied(TopicError, actions.PermissionDenied):
    pass


TITLE_LENGTH_MESSAGE = f"Titles are {TITLE_MIN} to {TITLE_MAX} characters long."
BODY_EMPTY_MESSAGE = "Write something first: the text cannot be empty."
BODY_LENGTH_MESSAGE = f"Posts are at most {BODY_MAX:,} characters long."


def _clean_title(title: str) -> str:
    return clean_line(title, field="title", min_length=TITLE_MIN, max_length=TITLE_MAX,
                      length_message=TITLE_LENGTH_MESSAGE, error=TopicError)


def _render_body(body: str) -> tuple[str, str]:
    body = clean_block(body, field="body", max_length=BODY_MAX, length_message=BODY_LENGTH_MESSAGE,
                       empty_message=BODY_EMPTY_MESSAGE, error=TopicError)
    return body, markup.render_markdown(body)


def render_body(body: str) -> tuple[str, str]:
    """The text as a post stores it and its HTML: what posting ``body`` would keep (the
    composer's preview shows exactly this). Raises :class:`TopicError` when empty or long."""
    return _render_body(body)


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


def set_pinned(topic: Topic, pinned: bool, *, actor: User, reason: str) -> bool:
    """Pin or unpin a topic, with a reason for the public moderation log. Returns
    whether anything changed."""
    if not can_pin_topic(actor, topic):
        raise PermissionDenied("Only staff can pin topics.")
    reason = clean_reason(reason, required=True, error=TopicError)
    if topic.is_pinned == pinned:
        return False
    topic.is_pinned = pinned
    db.session.flush()
    record_staff_action(
        actor, "pin_topic" if pinned else "unpin_topic", subject=topic.author_id, reason=reason,
        target_type="topic", target_id=topic.id, topic_id=topic.id,
        text=f"A moderator {'pinned' if pinned else 'unpinned'} your topic “{topic.title}”: {reason}",
        url=f"/t/{topic.id}",
    )
    return True


# --- edits: the one write path for member text (see forum.models.revisions) ---

STALE_EDIT_MESSAGE = (
    "Someone changed this since you opened it. Your text is still below: compare it with the "
    "current version (see the history), then save again."
)


class StaleEdit(TopicError, actions.Conflict):
    """The text changed since the editor opened the form."""


def edit_post(
    post: Post,
    *,
    editor: User,
    body: str,
    reason: str | None = None,
    base_revision: int | None = None,
    old_text_staff_only: bool = False,
):
    """Change a post's text. The only code that may: every change records a
    :class:`~forum.models.PostRevision` (old and new text, editor, time). An edit by
    anyone but the author needs a reason, writes a moderation log entry and notifies
    the author. ``base_revision`` is the ``revision_count`` the editor started from; a
    different current count is a stale edit and is refused. Unchanged text is a no-op
    (returns ``None``). ``old_text_staff_only`` hides the old text from non-staff in the
    history (it exposed personal data).
    """
    from forum.models.revisions import PostRevision

    if not can_edit_post(editor, post):
        raise PermissionDenied("You cannot edit this post.")
    by_other = editor.id != post.author_id
    reason = clean_reason(reason, required=by_other, error=TopicError)
    if base_revision is not None and base_revision != post.revision_count:
        raise StaleEdit(STALE_EDIT_MESSAGE, field="body")
    body, html = _render_body(body)
    if body == post.body:
        return None
    now = utcnow()
    revision = PostRevision(
        post=post, number=post.revision_count + 1, editor_id=editor.id, created_at=now, old_body=post.body,
        new_body=body, reason=reason or None, by_moderator=by_other, old_text_staff_only=old_text_staff_only and by_other,
    )
    db.session.add(revision)
    post.body, post.body_html = body, html
    post.revision_count += 1
    post.edited_at = now
    if by_other:
        post.moderator_edit_reason = reason
    db.session.flush()
    if by_other:
        record_staff_action(
            editor, "edit_post", subject=post.author_id, reason=reason, target_type="post", target_id=post.id, topic_id=post.topic_id,
            text=f"A moderator edited your post in “{post.topic.title}”: {reason}", url=f"/p/{post.id}/history",
        )
    signals.post_edited.send(post, editor=editor, revision=revision)
    return revision


def edit_topic_title(
    topic: Topic, *, editor: User, title: str, reason: str | None = None, base_revision: int | None = None
):
    """Change a topic's title, with a :class:`~forum.models.TopicRevision`; the same rules
    as :func:`edit_post` (reason, log and notice for non-authors, stale check)."""
    from forum.models.revisions import TopicRevision

    if not can_edit_topic_title(editor, topic):
        raise PermissionDenied("You cannot edit this topic's title.")
    by_other = editor.id != topic.author_id
    reason = clean_reason(reason, required=by_other, error=TopicError)
    if base_revision is not None and base_revision != topic.title_revision_count:
        raise StaleEdit(STALE_EDIT_MESSAGE, field="title")
    title = _clean_title(title)
    if title == topic.title:
        return None
    old_title = topic.title
    revision = TopicRevision(
        topic=topic, number=topic.title_revision_count + 1, editor_id=editor.id, old_title=old_title,
        new_title=title, reason=reason or None, by_moderator=by_other,
    )
    db.session.add(revision)
    topic.title = title
    topic.title_revision_count += 1
    db.session.flush()
    if by_other:
        record_staff_action(
            editor, "edit_title", subject=topic.author_id, reason=reason, target_type="topic", target_id=topic.id, topic_id=topic.id,
            text=f"A moderator changed the title of your topic “{old_title}”: {reason}", url=f"/t/{topic.id}",
            summary=f"title “{old_title}” → “{title}”",
        )
    signals.topic_edited.send(topic, editor=editor)
    return revision
