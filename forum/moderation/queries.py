"""Read side: the moderation log, revision history with diffs, the review queue."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.models import Appeal, Flag, ModerationLogEntry, Post, PostRevision, Topic, TopicRevision, User
from forum.models.users import ROLE_LABELS
from forum.pagination import Page

#: Every action the log shows, and how it reads.
ACTION_LABELS = {
    "hide_post": "Hid a post",
    "restore_post": "Restored a post",
    "delete_spam": "Removed spam",
    "edit_post": "Edited a member's post",
    "edit_title": "Edited a topic title",
    "lock_topic": "Locked a topic",
    "unlock_topic": "Unlocked a topic",
    "move_topic": "Moved a topic",
    "pin_topic": "Pinned a topic",
    "unpin_topic": "Unpinned a topic",
    "merge_topic": "Merged a topic",
    "mark_official_answer": "Marked the official answer",
    "escalate_private_case": "Took a topic to a private case with the asker",
    "close_private_case": "Closed a private case",
    "resolve_topic": "Resolved a topic for its asker",
    "set_issue_label": "Changed an issue label",
    "link_topic_to_incident": "Moved a topic into an incident",
    "merge_question": "Merged a Q&A question",
    "reject_question": "Declined a Q&A question",
    "suspend_user": "Suspended a member",
    "unsuspend_user": "Ended a suspension",
    "change_role": "Changed a role",
    "reset_two_factor": "Reset a member's two-factor sign-in",
    "dismiss_flags": "Dismissed flags",
    "appeal_granted": "Granted an appeal",
    "appeal_denied": "Denied an appeal",
}

LOG_PER_PAGE = 50
QUEUE_LIMIT = 100


def user_by_name(username: str | None) -> User | None:
    username = (username or "").strip()[:30]
    if not username or "\x00" in username:
        return None
    # A deleted account keeps a placeholder name ("former member 12"): nothing is done to it by name.
    return db.session.scalar(select(User).where(User.username_key == username.casefold(), User.deleted_at.is_(None)))


@dataclass
class LogRow:
    entry: ModerationLogEntry
    label: str
    who: str
    topic: Topic | None


def actor_name(entry: ModerationLogEntry) -> str:
    if entry.is_automatic:
        return "Automatic (community flags)"
    if entry.actor is None:
        return "a moderator"
    if not current_app.config.get("MODLOG_NAME_MODERATORS", True):
        return "a moderator"
    return f"{entry.actor.shown_name} ({ROLE_LABELS.get(entry.actor_role or '', entry.actor_role or '')})"


def moderation_log(page: int, *, action: str | None = None, moderator: User | None = None,
                   member: User | None = None, per_page: int = LOG_PER_PAGE) -> Page:
    """One page of the log, newest first. Three queries: count, rows (with users), topics."""
    stmt = select(ModerationLogEntry)
    count = select(func.count(ModerationLogEntry.id))
    conds = []
    if action:
        conds.append(ModerationLogEntry.action == action)
    if moderator is not None:
        conds.append(ModerationLogEntry.actor_id == moderator.id)
    if member is not None:
        conds.append(ModerationLogEntry.subject_user_id == member.id)
    if conds:
        stmt, count = stmt.where(*conds), count.where(*conds)
    total = db.session.scalar(count) or 0
    entries = list(
        db.session.scalars(
            stmt.options(joinedload(ModerationLogEntry.actor), joinedload(ModerationLogEntry.subject_user))
            .order_by(ModerationLogEntry.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    topic_ids = {e.topic_id for e in entries if e.topic_id}
    topics = {t.id: t for t in db.session.scalars(select(Topic).where(Topic.id.in_(topic_ids)))} if topic_ids else {}
    rows = [
        LogRow(e, ACTION_LABELS.get(e.action, e.action.replace("_", " ")), actor_name(e),
               # A spam removal names no topic: its title may be the spam itself.
               None if e.action == "delete_spam" else topics.get(e.topic_id))
        for e in entries
    ]
    return Page(rows, page, per_page, total)


@dataclass
class RevisionView:
    number: int
    editor: User | None
    created_at: object
    reason: str | None
    by_moderator: bool
    diff: list[tuple[str, str]]  # (kind: "add" | "del" | "same", line)
    redacted: bool


def _diff(old: str, new: str) -> list[tuple[str, str]]:
    out = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        tag, text = line[:2], line[2:]
        if tag == "+ ":
            out.append(("add", text))
        elif tag == "- ":
            out.append(("del", text))
        elif tag == "  ":
            out.append(("same", text))
    return out


def post_history(post: Post, *, viewer_is_staff: bool) -> list[RevisionView]:
    """Each revision of the post as a diff against the one before, newest first. Text
    marked staff-only (personal data) is not diffed for other readers."""
    revs = list(
        db.session.scalars(
            select(PostRevision).where(PostRevision.post_id == post.id).options(joinedload(PostRevision.editor))
            .order_by(PostRevision.number.desc())
        )
    )
    # Any later staff-only revision hides the text of every earlier one (it held the data).
    redact_before = max((r.number for r in revs if r.old_text_staff_only), default=0)
    views = []
    for r in revs:
        redacted = not viewer_is_staff and r.number <= redact_before
        diff = [] if redacted else _diff(r.old_body, r.new_body)
        views.append(RevisionView(r.number, r.editor, r.created_at, r.reason, r.by_moderator, diff, redacted))
    return views


def title_history(topic: Topic) -> list[TopicRevision]:
    return list(
        db.session.scalars(
            select(TopicRevision).where(TopicRevision.topic_id == topic.id).options(joinedload(TopicRevision.editor))
            .order_by(TopicRevision.number.desc())
        )
    )


@dataclass
class QueueItem:
    post: Post
    flag_count: int
    urgent: bool
    oldest: object
    flags: list[Flag]


def review_queue(limit: int = QUEUE_LIMIT) -> list[QueueItem]:
    """Posts with open flags: personal-data ones first, then most-flagged, then oldest.
    Three queries whatever the queue's size."""
    urgent = func.max(case((Flag.reason == "personal_data", 1), else_=0))
    grouped = db.session.execute(
        select(Flag.post_id, func.count(Flag.id), urgent, func.min(Flag.created_at))
        .where(Flag.resolved_at.is_(None))
        .group_by(Flag.post_id)
        .order_by(urgent.desc(), func.count(Flag.id).desc(), func.min(Flag.created_at), Flag.post_id)
        .limit(limit)
    ).all()
    ids = [row[0] for row in grouped]
    if not ids:
        return []
    posts = {
        p.id: p
        for p in db.session.scalars(
            select(Post).where(Post.id.in_(ids)).options(joinedload(Post.author), joinedload(Post.topic))
        )
    }
    flags: dict[int, list[Flag]] = {}
    for f in db.session.scalars(
        select(Flag).where(Flag.post_id.in_(ids), Flag.resolved_at.is_(None)).options(joinedload(Flag.user))
        .order_by(Flag.id)
    ):
        flags.setdefault(f.post_id, []).append(f)
    return [QueueItem(posts[pid], n, bool(u), oldest, flags.get(pid, [])) for pid, n, u, oldest in grouped]


def open_appeals(limit: int = QUEUE_LIMIT) -> list[Appeal]:
    return list(
        db.session.scalars(
            select(Appeal).where(Appeal.decided_at.is_(None))
            .options(joinedload(Appeal.user), joinedload(Appeal.post).joinedload(Post.topic))
            .order_by(Appeal.id).limit(limit)
        )
    )


def appeal_of(post: Post, user: User) -> Appeal | None:
    return db.session.scalar(select(Appeal).where(Appeal.post_id == post.id, Appeal.user_id == user.id))
