"""Internal notes: staff write them inside a topic for the Customer Care team and
moderators. The write (:func:`add_note`) flushes, the caller commits; the read
(:func:`topic_notes`) is one query.

A note is not a post. Nothing here sends ``signals.post_created`` or any search
signal, and nothing calls :func:`forum.notify.notify`, so notes never reach the
search outbox, feeds, mails or member notifications. Keep it that way.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum import markup
from forum.extensions import db
from forum.helpdesk.services import HelpdeskError, PermissionDenied
from forum.models import InternalNote, Topic, User
from forum.models.base import utcnow
from forum.permissions import can_view_internal_notes, can_write_internal_note
from forum.text import clean_block

NOTE_MAX = 5_000
#: The topic page shows the latest notes up to this many (oldest of them first).
NOTES_SHOWN = 100
NOTE_EMPTY = "Write the note first: it cannot be empty."
NOTE_TOO_LONG = f"A note is at most {NOTE_MAX:,} characters long."


def add_note(topic: Topic, *, author: User, body: str | None) -> InternalNote:
    """Add a staff-only note to ``topic``. Refuses non-staff, empty, oversized and
    NUL-carrying text before anything is written."""
    if not can_write_internal_note(author, topic):
        raise PermissionDenied("Only the Customer Care team and moderators write internal notes.")
    body = clean_block(body, field="body", max_length=NOTE_MAX, length_message=NOTE_TOO_LONG,
                       empty_message=NOTE_EMPTY, error=HelpdeskError)
    note = InternalNote(topic_id=topic.id, author_id=author.id, body=body,
                        body_html=markup.render_markdown(body, max_length=NOTE_MAX), created_at=utcnow())
    db.session.add(note)
    db.session.flush()
    return note


def topic_notes(topic: Topic, viewer) -> list[InternalNote]:
    """The topic's latest notes, oldest first, with their authors (one query); an
    empty list, without a query, for anyone who may not see them."""
    if not can_view_internal_notes(viewer, topic):
        return []
    rows = db.session.scalars(
        select(InternalNote)
        .where(InternalNote.topic_id == topic.id)
        .options(joinedload(InternalNote.author))
        .order_by(InternalNote.id.desc())
        .limit(NOTES_SHOWN)
    ).all()
    return list(reversed(rows))
