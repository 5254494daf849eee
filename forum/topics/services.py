"""Topic and post writes. Services flush; the caller commits."""

from __future__ import annotations

from sqlalchemy import update

from forum import markup, signals
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


def set_pinned(topic: Topic, pinned: bool, *, actor: User, reason: str) -> bool:
    """Pin or unpin a topic, with a reason for the public moderation log. Returns
    whether anything changed."""
    if not can_pin_topic(actor, topic):
        raise PermissionDenied("Only staff can pin topics.")
    reason = _clean_reason(reason)
    if not reason:
        raise TopicError(REASON_REQUIRED_MESSAGE, field="reason")
    if topic.is_pinned == pinned:
        return False
    topic.is_pinned = pinned
    db.session.flush()
    _log_and_tell(
        actor, "pin_topic" if pinned else "unpin_topic", topic.author_id, reason,
        target_type="topic", target_id=topic.id, topic_id=topic.id,
        text=f"A moderator {'pinned' if pinned else 'unpinned'} your topic “{topic.title}”: {reason}",
        url=f"/t/{topic.id}",
    )
    return True


# --- edits: the one write path for member text (see forum.models.revisions) ---

REASON_REQUIRED_MESSAGE = "Give a reason: it is shown publicly in the moderation log."
REASON_MAX = 500
STALE_EDIT_MESSAGE = (
    "Someone changed this since you opened it. Your text is still below: compare it with the "
    "current version (see the history), then save again."
)


class StaleEdit(TopicError):
    """The text changed since the editor opened the form."""


def _clean_reason(reason: str | None) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX:
        raise TopicError(f"Reasons are at most {REASON_MAX} characters long.", field="reason")
    if "\x00" in reason:
        raise TopicError(NUL_MESSAGE, field="reason")
    return reason


def _log_and_tell(actor: User | None, action: str, author_id: int | None, reason: str, *, target_type: str,
                  target_id: int, topic_id: int | None, text: str, url: str, summary: str = "") -> None:
    """Write the public log entry for a staff action and tell the member concerned."""
    from forum.moderation.log import log_action
    from forum.notifications.services import notify

    author = db.session.get(User, author_id) if author_id is not None else None
    log_action(actor, action, target_type=target_type, target_id=target_id, reason=reason, subject_user=author,
               topic_id=topic_id, summary=summary, automatic=actor is None)
    if author is not None:
        notify([author], kind="moderation", text=text, url=url, actor=actor)


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
    reason = _clean_reason(reason)
    if by_other and not reason:
        raise TopicError(REASON_REQUIRED_MESSAGE, field="reason")
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
        _log_and_tell(
            editor, "edit_post", post.author_id, reason, target_type="post", target_id=post.id, topic_id=post.topic_id,
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
    reason = _clean_reason(reason)
    if by_other and not reason:
        raise TopicError(REASON_REQUIRED_MESSAGE, field="reason")
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
        _log_and_tell(
            editor, "edit_title", topic.author_id, reason, target_type="topic", target_id=topic.id, topic_id=topic.id,
            text=f"A moderator changed the title of your topic “{old_title}”: {reason}", url=f"/t/{topic.id}",
            summary=f"title “{old_title}” → “{title}”",
        )
    signals.topic_edited.send(topic, editor=editor)
    return revision
