"""Moderation verbs. Each validates, checks permission, writes, logs publicly (with a
reason), tells the member concerned and flushes; the caller commits.

Text edits are not here: they go through :func:`forum.topics.services.edit_post`, the
one write path for member text. Nothing here deletes content: hiding keeps the post.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from forum import actions, signals
from forum.accounts.sessions import end_sessions, record_event
from forum.audit import log_action, record_staff_action
from forum.extensions import db
from forum.models import FLAG_REASONS, Appeal, Category, Flag, Post, Topic, User
from forum.models.base import utcnow
from forum.permissions import (
    can_appeal_post,
    can_flag_post,
    can_moderate,
    can_suspend_user,
)
from forum.text import clean_reason

#: Spam flags from this many distinct members hide a post at once, pending review.
AUTO_HIDE_SPAM_FLAGS = 3
FLAG_NOTE_MAX = 500
APPEAL_MAX = 500
SUSPEND_MAX_DAYS = 3650


class ModerationError(actions.ActionError):
    """A refused moderation request; the message is shown to the user, next to ``field``."""


class PermissionDenied(ModerationError, actions.PermissionDenied):
    """The actor may not moderate this (the services re-check the views' predicates)."""


def _reason(reason: str | None) -> str:
    return clean_reason(reason, required=True, error=ModerationError)


def _require_moderator(actor: User | None) -> None:
    if actor is not None and not can_moderate(actor):
        raise PermissionDenied("Only moderators can do that.")


def _resolve_flags(post: Post, actor: User | None, resolution: str) -> int:
    return db.session.execute(
        update(Flag)
        .where(Flag.post_id == post.id, Flag.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolution=resolution, resolved_by_id=actor.id if actor else None)
    ).rowcount


def _post_url(post: Post) -> str:
    return f"/p/{post.id}"


# --- posts -----------------------------------------------------------------------------


def hide_post(post: Post, *, actor: User | None, reason: str, automatic: bool = False, staff_only: bool = False,
              action: str = "hide_post") -> bool:
    """Hide a post behind a placeholder (never delete it). ``actor=None`` with
    ``automatic`` for the system (spam flags). Posts with open personal-data flags,
    and ``staff_only`` ones, can then be opened by staff only. Returns whether anything
    changed."""
    _require_moderator(actor)
    reason = _reason(reason)
    if post.is_hidden and (action != "delete_spam" or post.hidden_staff_only):
        return False
    personal = db.session.scalar(
        select(func.count(Flag.id)).where(Flag.post_id == post.id, Flag.resolved_at.is_(None), Flag.reason == "personal_data")
    )
    post.is_hidden = True
    post.hidden_at = utcnow()
    post.hidden_by_id = actor.id if actor else None
    post.hidden_reason = reason
    post.hidden_staff_only = bool(staff_only or personal)
    if not automatic:
        _resolve_flags(post, actor, "hidden")
    db.session.flush()
    what = "removed your post as spam" if action == "delete_spam" else "hid your post"
    record_staff_action(
        actor, action, subject=post.author_id, reason=reason, target_type="post", target_id=post.id, topic_id=post.topic_id,
        text=f"A moderator {what} in “{post.topic.title}”: {reason}. You can appeal once.", url=_post_url(post),
    )
    signals.post_hidden.send(post, actor=actor, reason=reason)
    return True


def delete_spam(post: Post, *, actor: User, reason: str) -> bool:
    """"Delete" spam: hide it for good, staff-only, and log it without repeating it."""
    return hide_post(post, actor=actor, reason=reason, staff_only=True, action="delete_spam")


def restore_post(post: Post, *, actor: User, reason: str) -> bool:
    """Show a hidden post again; its open flags are dismissed."""
    _require_moderator(actor)
    reason = _reason(reason)
    if not post.is_hidden:
        return False
    post.is_hidden = False
    post.hidden_at = post.hidden_by_id = post.hidden_reason = None
    post.hidden_staff_only = False
    _resolve_flags(post, actor, "restored")
    db.session.flush()
    record_staff_action(
        actor, "restore_post", subject=post.author_id, reason=reason, target_type="post", target_id=post.id, topic_id=post.topic_id,
        text=f"A moderator restored your post in “{post.topic.title}”: {reason}", url=_post_url(post),
    )
    signals.post_restored.send(post, actor=actor, reason=reason)
    return True


# --- topics ----------------------------------------------------------------------------


def set_locked(topic: Topic, locked: bool, *, actor: User, reason: str) -> bool:
    """Lock (no new replies from members) or unlock a topic."""
    _require_moderator(actor)
    reason = _reason(reason)
    if topic.is_locked == locked:
        return False
    topic.is_locked = locked
    db.session.flush()
    record_staff_action(
        actor, "lock_topic" if locked else "unlock_topic", subject=topic.author_id, reason=reason, target_type="topic",
        target_id=topic.id, topic_id=topic.id,
        text=f"A moderator {'locked' if locked else 'unlocked'} your topic “{topic.title}”: {reason}", url=f"/t/{topic.id}",
    )
    return True


def move_topic(topic: Topic, category: Category, *, actor: User, reason: str) -> bool:
    """Move a topic to another board; the boards' topic counts follow."""
    _require_moderator(actor)
    reason = _reason(reason)
    if topic.merged_into_id is not None:
        raise ModerationError("This topic was merged into another; move that one instead.")
    old = topic.category
    if old.id == category.id:
        return False
    db.session.execute(update(Category).where(Category.id == old.id).values(topic_count=Category.topic_count - 1))
    db.session.execute(update(Category).where(Category.id == category.id).values(topic_count=Category.topic_count + 1))
    topic.category = category
    db.session.flush()
    db.session.refresh(old)
    db.session.refresh(category)
    record_staff_action(
        actor, "move_topic", subject=topic.author_id, reason=reason, target_type="topic", target_id=topic.id, topic_id=topic.id,
        text=f"A moderator moved your topic “{topic.title}” to {category.name}: {reason}", url=f"/t/{topic.id}",
        summary=f"from {old.name} to {category.name}",
    )
    signals.topic_moved.send(topic, actor=actor, old_category=old, reason=reason)
    return True


def merge_topic(topic: Topic, into: Topic | None, *, actor: User, reason: str) -> bool:
    """Merge ``topic`` into ``into``: its posts join ``into`` (its opening post becomes a
    reply), and its page then redirects. Nothing is deleted. ``into=None``: the number
    the moderator gave matches no topic."""
    _require_moderator(actor)
    if into is None:
        raise ModerationError("There is no topic with that number.", field="into")
    reason = _reason(reason)
    if topic.id == into.id:
        raise ModerationError("A topic cannot be merged into itself.", field="into")
    if topic.merged_into_id is not None:
        raise ModerationError("This topic was already merged.", field="into")
    if into.merged_into_id is not None:
        raise ModerationError("That topic was itself merged into another; merge into that one.", field="into")
    moved = db.session.scalar(select(func.count(Post.id)).where(Post.topic_id == topic.id)) or 0
    db.session.execute(
        update(Post).where(Post.topic_id == topic.id).values(topic_id=into.id, is_first=False),
        execution_options={"synchronize_session": "fetch"},
    )
    last = max(into.last_post_at, topic.last_post_at)
    db.session.execute(
        update(Topic).where(Topic.id == into.id).values(reply_count=Topic.reply_count + moved, last_post_at=last)
    )
    db.session.execute(
        update(Category).where(Category.id == topic.category_id).values(topic_count=Category.topic_count - 1)
    )
    topic.merged_into_id = into.id
    db.session.flush()
    db.session.refresh(into)
    record_staff_action(
        actor, "merge_topic", subject=topic.author_id, reason=reason, target_type="topic", target_id=topic.id, topic_id=into.id,
        text=f"A moderator merged your topic “{topic.title}” into “{into.title}”: {reason}", url=f"/t/{into.id}",
        summary=f"“{topic.title}” into “{into.title}”",
    )
    signals.topic_merged.send(topic, actor=actor, reason=reason, into=into)
    return True


# --- members ---------------------------------------------------------------------------


def suspend_user(user: User, *, actor: User, reason: str, days: int | None) -> bool:
    """Suspend a member for ``days`` (1 to 3650) or, with ``None``, indefinitely. They can
    still sign in and read; every member action is refused (``_can_participate``)."""
    if not can_suspend_user(actor, user):
        raise PermissionDenied("You cannot suspend this account.")
    reason = _reason(reason)
    if days is not None and not 1 <= days <= SUSPEND_MAX_DAYS:
        raise ModerationError(f"A suspension lasts 1 to {SUSPEND_MAX_DAYS} days, or indefinitely.", field="days")
    until = utcnow() + timedelta(days=days) if days is not None else None
    user.suspended_until = until
    user.suspended_indefinitely = until is None
    user.suspension_reason = reason
    # A suspended member signs in again to read; whatever sessions they had end now.
    if end_sessions(user.id, reason="suspended"):
        record_event(user.id, "sessions_ended_suspension")
    db.session.flush()
    when = f"until {until:%d %b %Y, %H:%M} UTC" if until else "indefinitely"
    record_staff_action(
        actor, "suspend_user", subject=user.id, reason=reason, target_type="user", target_id=user.id, topic_id=None,
        text=f"Your account is suspended {when}: {reason}", url=f"/u/{user.username}",
        summary=f"for {days} day{'s' if days != 1 else ''}" if days else "indefinitely",
    )
    return True


def unsuspend_user(user: User, *, actor: User, reason: str) -> bool:
    """End a suspension early."""
    if not can_suspend_user(actor, user):
        raise PermissionDenied("You cannot change this account's suspension.")
    reason = _reason(reason)
    if not user.is_suspended:
        return False
    user.suspended_until = None
    user.suspended_indefinitely = False
    user.suspension_reason = None
    db.session.flush()
    record_staff_action(
        actor, "unsuspend_user", subject=user.id, reason=reason, target_type="user", target_id=user.id, topic_id=None,
        text=f"Your suspension has ended: {reason}", url=f"/u/{user.username}",
    )
    return True


# --- flags -----------------------------------------------------------------------------


def flag_post(post: Post, *, user: User, reason: str, note: str = "") -> Flag:
    """Flag a post once, with a reason. Spam flags from :data:`AUTO_HIDE_SPAM_FLAGS`
    distinct members hide the post at once (logged as automatic), pending review."""
    if post.author_id == getattr(user, "id", None):
        raise ModerationError("You cannot flag your own post.")
    if not can_flag_post(user, post):
        raise PermissionDenied("You cannot flag posts.")
    if reason not in FLAG_REASONS:
        raise ModerationError("Choose why you are flagging this post.", field="reason")
    note = " ".join((note or "").split())
    if len(note) > FLAG_NOTE_MAX or "\x00" in note:
        raise ModerationError(f"Notes are at most {FLAG_NOTE_MAX} characters long.", field="note")
    if reason == "other" and not note:
        raise ModerationError("Say what is wrong with the post.", field="note")
    if db.session.scalar(select(Flag.id).where(Flag.post_id == post.id, Flag.user_id == user.id)):
        raise ModerationError("You have already flagged this post.")
    flag = Flag(post_id=post.id, user_id=user.id, reason=reason, note=note)
    db.session.add(flag)
    db.session.flush()
    if reason == "spam" and not post.is_hidden:
        spam = db.session.scalar(
            select(func.count(func.distinct(Flag.user_id))).where(
                Flag.post_id == post.id, Flag.reason == "spam", Flag.resolved_at.is_(None)
            )
        ) or 0
        if spam >= AUTO_HIDE_SPAM_FLAGS:
            hide_post(post, actor=None, automatic=True,
                      reason=f"Automatic: {spam} members flagged it as spam. Pending review by a moderator.")
    signals.post_flagged.send(post, flag=flag, user=user)
    return flag


def dismiss_flags(post: Post, *, actor: User, reason: str) -> bool:
    """Close a post's open flags without acting on the post."""
    _require_moderator(actor)
    reason = _reason(reason)
    if not _resolve_flags(post, actor, "dismissed"):
        return False
    log_action(actor, "dismiss_flags", target_type="post", target_id=post.id, reason=reason,
               subject_user=post.author, topic_id=post.topic_id)
    return True


# A moderator who fixes someone else's post (or its topic's title) closes the post's open
# flags as "edited". The services send these signals only when the text really changed
# (an unchanged text is a no-op), right after writing the edit's log entry, which is
# what the closed flags point to: nothing happens to a flag without a log entry.


@signals.post_edited.connect
def _resolve_flags_after_edit(post: Post, *, editor: User, revision, **kwargs) -> None:
    if revision is not None and revision.by_moderator and can_moderate(editor):
        _resolve_flags(post, editor, "edited")


@signals.topic_edited.connect
def _resolve_flags_after_title_edit(topic: Topic, *, editor: User, **kwargs) -> None:
    if editor.id == topic.author_id or not can_moderate(editor):
        return
    first = db.session.scalar(select(Post).where(Post.topic_id == topic.id, Post.is_first))
    if first is not None:
        _resolve_flags(first, editor, "edited")


# --- appeals ---------------------------------------------------------------------------


def can_be_appealed(post: Post) -> bool:
    return post.is_hidden or post.moderator_edit_reason is not None


def appeal_post(post: Post, *, user: User, text: str) -> Appeal:
    """The author appeals, once, against the moderation of their post."""
    if not can_appeal_post(user, post):
        raise PermissionDenied("Only the author can appeal.")
    if not can_be_appealed(post):
        raise ModerationError("There is nothing to appeal: no moderator has acted on this post.")
    text = " ".join((text or "").split())
    if not text:
        raise ModerationError("Say why the decision should change.", field="text")
    if len(text) > APPEAL_MAX or "\x00" in text:
        raise ModerationError(f"Appeals are at most {APPEAL_MAX} characters long.", field="text")
    if db.session.scalar(select(Appeal.id).where(Appeal.post_id == post.id, Appeal.user_id == user.id)):
        raise ModerationError("You have already appealed for this post; an appeal can be made once.")
    appeal = Appeal(post_id=post.id, user_id=user.id, text=text)
    db.session.add(appeal)
    db.session.flush()
    return appeal


def decide_appeal(appeal: Appeal, *, actor: User, granted: bool, reason: str) -> None:
    """Grant (restore the post if hidden) or deny an appeal; the outcome is logged."""
    _require_moderator(actor)
    reason = _reason(reason)
    if appeal.decided_at is not None:
        raise ModerationError("This appeal was already decided.")
    appeal.decided_at = utcnow()
    appeal.outcome = "granted" if granted else "denied"
    appeal.decided_by_id = actor.id
    appeal.decision_reason = reason
    post = appeal.post
    if granted and post.is_hidden:
        restore_post(post, actor=actor, reason=f"Appeal granted: {reason}")
    db.session.flush()
    record_staff_action(
        actor, "appeal_granted" if granted else "appeal_denied", subject=post.author_id, reason=reason, target_type="post",
        target_id=post.id, topic_id=post.topic_id,
        text=f"Your appeal was {'granted' if granted else 'denied'}: {reason}", url=_post_url(post) + "#appeal",
    )
