"""Every permission rule, as plain predicates ``can_<verb>_<noun>(user, obj)``.

Views call :func:`require` before doing any work; templates call the same
predicates (they are Jinja globals). Services that enforce invariants re-check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import abort

if TYPE_CHECKING:
    from forum.models import Category, Topic, User


def _signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _is_staff(user: Any) -> bool:
    return _signed_in(user) and user.is_staff


def _is_admin(user: Any) -> bool:
    return _signed_in(user) and user.is_admin


# Taking part (posting, replying, voting, flagging, giving kudos) needs a signed-in
# account with a verified email. Every member action builds on this one fact, so
# that a later restriction (such as a suspension) applies everywhere at once.
def _can_participate(user: Any) -> bool:
    return _signed_in(user) and user.is_verified


# A member may start a topic in any category once their email is verified.
def can_create_topic(user: User | None, category: Category | None = None) -> bool:
    return _can_participate(user)


# A member may reply to any topic once their email is verified.
def can_reply_to_topic(user: User | None, topic: Topic | None = None) -> bool:
    return _can_participate(user)


# Staff (customer care, moderators, executives, admins) may pin and unpin topics.
def can_pin_topic(user: User | None, topic: Topic | None = None) -> bool:
    return _is_staff(user)


# Only admins manage categories.
def can_manage_categories(user: User | None, obj: Any = None) -> bool:
    return _is_admin(user)


# Only admins change roles, and never their own (so the last admin cannot lock
# everyone out by accident).
def can_change_role(user: User | None, target: User | None = None) -> bool:
    return _is_admin(user) and (target is None or target.id != user.id)


# Staff pages: anyone acting for the brand.
def can_view_staff_pages(user: User | None, obj: Any = None) -> bool:
    return _is_staff(user)


PREDICATES = {
    f.__name__: f
    for f in (
        can_create_topic,
        can_reply_to_topic,
        can_pin_topic,
        can_manage_categories,
        can_change_role,
        can_view_staff_pages,
    )
}


def require(predicate, user, obj=None) -> None:
    """Abort unless ``predicate(user, obj)``: anonymous users go to the login page
    (401 is turned into a redirect by Flask-Login), signed-in users get 403."""
    if predicate(user, obj):
        return
    if not _signed_in(user):
        from forum.extensions import login_manager

        abort(login_manager.unauthorized())
    abort(403)


# --- qa_events ---


def _has_role(user: Any, *roles: str) -> bool:
    return _signed_in(user) and user.role in roles


# Customer Care staff and admins create Q&A sessions.
def can_create_qa_event(user: User | None, obj: Any = None) -> bool:
    return _has_role(user, "staff", "admin")


# Customer Care staff and admins move a session between states by hand.
def can_transition_qa_event(user: User | None, event: Any = None) -> bool:
    return _has_role(user, "staff", "admin")


# Any member who can take part may ask a question (the session's window and the
# per-member limit are checked by the service).
def can_ask_qa_question(user: User | None, event: Any = None) -> bool:
    return _can_participate(user)


# Any member who can take part may vote, but never for their own question.
def can_vote_qa_question(user: User | None, question: Any = None) -> bool:
    return _can_participate(user) and (question is None or question.author_id != user.id)


# Any member who can take part may ask to be reminded when a session goes live.
def can_subscribe_qa_event(user: User | None, event: Any = None) -> bool:
    return _can_participate(user)


# Moderators, Customer Care staff and admins merge duplicates and decline
# off-topic questions (publicly logged). The executive does not: nobody should
# be able to decline the questions put to themselves.
def can_moderate_qa_question(user: User | None, question: Any = None) -> bool:
    return _has_role(user, "moderator", "staff", "admin")


# The session's executive answers; Customer Care staff and admins may answer on
# their behalf (shown as such) and post follow-up notes.
def can_answer_qa_question(user: User | None, event: Any = None) -> bool:
    if _has_role(user, "staff", "admin"):
        return True
    return _has_role(user, "executive") and (event is None or event.executive_id == user.id)


# An answer may be changed by whoever wrote it, and by Customer Care staff and
# admins (for follow-ups); every change keeps a revision.
def can_edit_qa_answer(user: User | None, answer: Any = None) -> bool:
    if _has_role(user, "staff", "admin"):
        return True
    return _has_role(user, "executive") and (answer is None or answer.author_id == user.id)


PREDICATES.update(
    {
        f.__name__: f
        for f in (
            can_create_qa_event,
            can_transition_qa_event,
            can_ask_qa_question,
            can_vote_qa_question,
            can_subscribe_qa_event,
            can_moderate_qa_question,
            can_answer_qa_question,
            can_edit_qa_answer,
        )
    }
)
