"""Assignment: an agent claims a topic, and it is theirs until they release it or
answer it (their public reply clears the claim). The staff queue filters on it
("mine", "unassigned", "all") through :func:`queue_conditions`. Writes flush; the
caller commits. Claims are internal: no log entry, no notification.
"""

from __future__ import annotations

from forum.extensions import db
from forum.helpdesk.services import HelpdeskError, PermissionDenied
from forum.models import Post, Topic, User
from forum.models.base import utcnow
from forum.permissions import can_claim_topic, can_release_topic

#: The staff queue's ``?show=`` values.
QUEUE_FILTERS = ("all", "mine", "unassigned")


def claim_topic(topic: Topic, *, actor: User) -> User | None:
    """Assign ``topic`` to ``actor``. Returns the agent it was taken from, if any."""
    if not can_claim_topic(actor, topic):
        raise PermissionDenied("Only staff can claim topics.")
    previous = topic.claimed_by if topic.claimed_by_id not in (None, actor.id) else None
    if topic.claimed_by_id != actor.id:
        topic.claimed_by_id = actor.id
        topic.claimed_at = utcnow()
        db.session.flush()
    return previous


def release_topic(topic: Topic, *, actor: User) -> bool:
    """Give a claimed topic back to the team (only its assignee does)."""
    if topic.claimed_by_id is None:
        raise HelpdeskError("Nobody has claimed this topic.", status=409)
    if not can_release_topic(actor, topic):
        raise PermissionDenied("Only the agent who claimed a topic releases it.")
    topic.claimed_by_id = topic.claimed_at = None
    db.session.flush()
    return True


def on_post_created(post: Post) -> None:
    """The assignee answered: a public reply of theirs ends the claim."""
    topic = post.topic
    if not post.is_first and topic.claimed_by_id is not None and topic.claimed_by_id == post.author_id:
        topic.claimed_by_id = topic.claimed_at = None
        db.session.flush()


def queue_conditions(show: str, viewer_id: int | None) -> list:
    """Extra WHERE conditions of the staff queue for ``show`` (see QUEUE_FILTERS)."""
    if show == "mine":
        return [Topic.claimed_by_id == viewer_id]
    if show == "unassigned":
        return [Topic.claimed_by_id.is_(None)]
    return []
