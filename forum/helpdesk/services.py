"""Help-desk writes: official answers, accepted solutions, satisfaction, kudos,
staff replies for the queue and badge titles (claims: ``assignment.py``). Services
check permissions, write and flush; the caller commits. Notifications go through :func:`notify` (after commit)."""

from __future__ import annotations

from sqlalchemy import select, update

from forum import signals
from forum.actions import ActionError
from forum.actions import PermissionDenied as _Denied
from forum.audit import log_action
from forum.extensions import db
from forum.helpdesk import cases
from forum.models import Kudos, Post, Topic, User
from forum.models.base import utcnow
from forum.notify import notify
from forum.permissions import (
    can_accept_solution,
    can_give_kudos,
    can_mark_official_answer,
    can_rate_satisfaction,
    suspension_message,
)
from forum.text import clean_block, clean_line, clean_reason

COMMENT_MAX = 1000
TITLE_MAX = 60
SATISFACTION_CHOICES = ("yes", "no")
KUDOS_TWICE_MESSAGE = "You already gave kudos to this post."
HIDDEN_ANSWER_NOTE = "The answer that resolved this topic was hidden by a moderator, so the topic is open again."


class HelpdeskError(ActionError):
    """A refused help-desk write; the message is shown to the user (next to ``field``)."""


class PermissionDenied(HelpdeskError, _Denied):
    pass


def post_path(post: Post) -> str:
    return f"/p/{post.id}"


def topic_path(topic: Topic, anchor: str = "") -> str:
    return f"/t/{topic.id}-{topic.slug}" + (f"#{anchor}" if anchor else "")


def _clean(text: str | None, *, limit: int, field: str, what: str) -> str:
    return clean_block(text, field=field, max_length=limit,
                       length_message=f"The {what} is at most {limit:,} characters long.", error=HelpdeskError).strip()


# --- answers (the case state itself lives in forum.helpdesk.cases) -------------------


def mark_official_answer(post: Post, *, actor: User, reason: str) -> bool:
    """Mark ``post`` (a reply) as its topic's official answer, replacing any previous
    one. Recorded in the public moderation log with its reason. Returns whether
    anything changed."""
    if not can_mark_official_answer(actor, post):
        raise PermissionDenied("Only staff can mark an official answer, and only on a reply.")
    reason = clean_reason(reason, required=True,
                          required_message="Say why this is the official answer: the reason is shown in the public log.", error=HelpdeskError)
    topic = post.topic
    if topic.official_answer_post_id == post.id:
        return False
    previous = topic.official_answer_post_id
    topic.official_answer_post_id = post.id
    topic.official_marked_by_id = actor.id
    topic.official_marked_at = utcnow()
    summary = f"official answer: post {post.id}" + (f", replacing post {previous}" if previous else "")
    log_action(actor, "mark_official_answer", target_type="post", target_id=post.id, reason=reason,
               subject_user=post.author, topic_id=topic.id, summary=summary)
    db.session.flush()
    cases.on_official_answer(topic, actor=actor)
    signals.topic_answer_changed.send(topic)
    notify([topic.author_id], kind="official_answer", actor=actor, url=topic_path(topic, "satisfaction"), topic=topic,
           text=f"{actor.shown_name} marked an official answer on your topic “{topic.title}”. Did it solve your problem?")
    notify([post.author_id], kind="official_answer", actor=actor, url=post_path(post), topic=topic,
           text=f"Your reply in “{topic.title}” was marked as the official answer.")
    return True


def accept_solution(post: Post, *, actor: User) -> bool:
    """The topic's author accepts ``post`` as the solution (replacing an earlier one)."""
    if not can_accept_solution(actor, post):
        raise PermissionDenied("Only the topic's author can accept a solution, and not one of their own posts.")
    topic = post.topic
    if topic.solution_post_id == post.id:
        return False
    topic.solution_post_id = post.id
    topic.solution_accepted_at = utcnow()
    db.session.flush()
    cases.on_solution_accepted(topic, actor=actor)
    signals.topic_answer_changed.send(topic)
    notify([post.author_id], kind="solution", actor=actor, url=post_path(post), topic=topic,
           text=f"{actor.shown_name} accepted your reply as the solution to “{topic.title}”.")
    return True


def rate_satisfaction(topic: Topic, *, user: User, answer: str, comment: str = "") -> None:
    """Store the author's answer to "Did this solve your problem?" (they may change it
    while the topic is answered or resolved): Yes resolves the topic, No reopens it."""
    if not can_rate_satisfaction(user, topic):
        raise PermissionDenied("Only the topic's author can answer this, once Customer Care has answered.")
    if answer not in SATISFACTION_CHOICES:
        raise HelpdeskError("Answer Yes or No.", field="answer")
    topic.satisfaction = answer
    topic.satisfaction_comment = _clean(comment, limit=COMMENT_MAX, field="comment", what="comment") or None
    topic.satisfaction_at = utcnow()
    if answer != "yes":
        topic.satisfaction_score = None  # the score is asked after a Yes only
    db.session.flush()
    cases.on_satisfaction(topic, actor=user, answer=answer, comment=topic.satisfaction_comment)


SCORE_MESSAGE = "Choose a score from 1 (not satisfied) to 5 (very satisfied)."


def rate_satisfaction_score(topic: Topic, *, user: User, score: int | None) -> None:
    """The 1-5 satisfaction score the author gives after answering Yes (they may change it)."""
    if not can_rate_satisfaction(user, topic):
        raise PermissionDenied("Only the topic's author can answer this, once Customer Care has answered.")
    if topic.satisfaction != "yes":
        raise HelpdeskError("Answer “Did this solve your problem?” with Yes first.", field="score", status=409)
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise HelpdeskError(SCORE_MESSAGE, field="score")
    topic.satisfaction_score = score
    topic.satisfaction_at = utcnow()
    db.session.flush()


def on_answer_hidden(post: Post, *, actor: User | None = None, reason: str | None = None) -> bool:
    """Keep the resolved state consistent when an answer post is hidden: the topic
    loses that answer and, if nothing else resolves it, is unresolved again with a note."""
    topic = post.topic
    changed = False
    if topic.official_answer_post_id == post.id:
        topic.official_answer_post_id = topic.official_marked_by_id = topic.official_marked_at = None
        changed = True
    if topic.solution_post_id == post.id:
        topic.solution_post_id = topic.solution_accepted_at = None
        changed = True
    if not changed:
        return False
    db.session.flush()
    cases.on_answer_hidden(topic, actor=actor, note=HIDDEN_ANSWER_NOTE)
    db.session.flush()
    signals.topic_answer_changed.send(topic)
    return True


# --- kudos ------------------------------------------------------------------------


def give_kudos(post: Post, *, user: User) -> Kudos:
    """Give kudos to a post: once per member and post, never to one's own post."""
    if not can_give_kudos(user, post):
        if getattr(user, "is_authenticated", False) and post.author_id == user.id:
            raise PermissionDenied("You cannot give kudos to your own post.")
        raise PermissionDenied(suspension_message(user) or "Confirm your email address to give kudos.")
    if db.session.scalar(select(Kudos.id).where(Kudos.post_id == post.id, Kudos.user_id == user.id)):
        raise HelpdeskError(KUDOS_TWICE_MESSAGE, status=409)
    kudos = Kudos(post_id=post.id, user_id=user.id)
    db.session.add(kudos)
    db.session.execute(update(Post).where(Post.id == post.id).values(kudos_count=Post.kudos_count + 1))
    db.session.flush()
    db.session.refresh(post)
    signals.kudos_given.send(post, user=user)
    title = post.topic.title
    notify([post.author_id], kind="kudos", actor=user, url=post_path(post), group_key=f"kudos:{post.id}",
           topic=post.topic_id,
           text=f"{user.shown_name} gave kudos to your post in “{title}”.",
           grouped_text=lambda n: f"{n} people gave kudos to your post in “{title}”.")
    return kudos


# --- the staff queue --------------------------------------------------------------


def on_post_created(post: Post) -> None:
    """Note the first staff reply of a topic, and move the case along (forum.helpdesk.cases)."""
    if not post.is_first and post.author.is_staff and not post.topic.has_staff_reply:
        post.topic.has_staff_reply = True
        db.session.flush()
    cases.on_reply(post)


def set_title(user: User, title: str | None) -> None:
    """Set (or clear) the public title a staff member's badge shows."""
    title = clean_line(title, field="title", max_length=TITLE_MAX, length_message=f"The title is at most {TITLE_MAX:,} characters long.", error=HelpdeskError)
    if title and not user.is_staff:
        raise HelpdeskError("Only staff roles carry a badge, so only they can have a title.", field="title")
    user.title = title or None
    db.session.flush()
