"""Saved replies: the team's canned answers. Staff list, write, edit and archive
them (archived ones are kept and can be restored); using one fills the ordinary
reply form, so the reply still posts as the agent, under their badge, through
``topics.services.reply_to_topic``. Writes flush; the caller commits.
"""

from __future__ import annotations

from sqlalchemy import select

from forum.extensions import db
from forum.helpdesk.services import HelpdeskError, PermissionDenied
from forum.models import SavedReply, Topic, User
from forum.models.base import utcnow
from forum.permissions import can_manage_saved_replies
from forum.text import clean_block, clean_line

TITLE_MAX = 100
BODY_MAX = 10_000
#: What a saved reply may say in braces, and what it becomes on a topic.
PLACEHOLDERS = {
    "{name}": "the asker's display name",
    "{agent}": "your own display name",
}
TITLE_MESSAGE = f"Give the saved reply a title of 1 to {TITLE_MAX} characters."
BODY_EMPTY = "Write the reply's text: it cannot be empty."
BODY_TOO_LONG = f"A saved reply is at most {BODY_MAX:,} characters long."


def _check(actor: User) -> None:
    if not can_manage_saved_replies(actor):
        raise PermissionDenied("Only staff keep the saved replies.")


def _clean(title: str | None, body: str | None) -> tuple[str, str]:
    title = clean_line(title, field="title", max_length=TITLE_MAX, min_length=1, length_message=TITLE_MESSAGE,
                       error=HelpdeskError)
    body = clean_block(body, field="body", max_length=BODY_MAX, length_message=BODY_TOO_LONG,
                       empty_message=BODY_EMPTY, error=HelpdeskError)
    return title, body


def create_saved_reply(*, actor: User, title: str | None, body: str | None) -> SavedReply:
    """Add a saved reply for the whole team."""
    _check(actor)
    title, body = _clean(title, body)
    now = utcnow()
    reply = SavedReply(title=title, body=body, created_by_id=actor.id, updated_by_id=actor.id, created_at=now,
                       updated_at=now)
    db.session.add(reply)
    db.session.flush()
    return reply


def update_saved_reply(reply: SavedReply, *, actor: User, title: str | None, body: str | None) -> bool:
    """Change a saved reply's title or text. Returns whether anything changed."""
    _check(actor)
    title, body = _clean(title, body)
    if (title, body) == (reply.title, reply.body):
        return False
    reply.title, reply.body = title, body
    reply.updated_by_id, reply.updated_at = actor.id, utcnow()
    db.session.flush()
    return True


def set_archived(reply: SavedReply, archived: bool, *, actor: User) -> bool:
    """Archive a saved reply (out of the picker, kept) or restore it."""
    _check(actor)
    if reply.is_archived == archived:
        return False
    reply.is_archived = archived
    reply.updated_by_id, reply.updated_at = actor.id, utcnow()
    db.session.flush()
    return True


def fill(reply: SavedReply, *, topic: Topic, agent: User) -> str:
    """The reply's text for ``topic``: ``{name}`` becomes the asker's display name and
    ``{agent}`` the agent's. Plain replacement (no format string), so other braces
    stay as written."""
    text = reply.body.replace("{name}", topic.author.shown_name)
    return text.replace("{agent}", agent.shown_name)


# --- reads ------------------------------------------------------------------------


def saved_replies(*, archived: bool = False) -> list[SavedReply]:
    """Active (or archived) saved replies by title: one query."""
    return list(
        db.session.scalars(
            select(SavedReply).where(SavedReply.is_archived.is_(archived)).order_by(SavedReply.title, SavedReply.id)
        )
    )


def get_saved_reply(reply_id: int) -> SavedReply | None:
    return db.session.get(SavedReply, reply_id)
