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


# --- helpdesk ---
# Official answers, accepted solutions, satisfaction, kudos, subscriptions, the staff
# queue and the member's own settings.


def _is_reply(post: Any) -> bool:
    return post is not None and not post.is_first


# Staff (customer care, moderators, executives, admins) may mark any reply in a topic
# as its official answer: their own, or a member's that they endorse.
def can_mark_official_answer(user: User | None, post: Any = None) -> bool:
    return _is_staff(user) and (post is None or _is_reply(post))


# The topic's author may accept one reply (not the opening post, and not one of their
# own) as the solution, if they can still take part.
def can_accept_solution(user: User | None, post: Any = None) -> bool:
    if not _can_participate(user):
        return False
    if post is None:
        return True
    return _is_reply(post) and post.topic.author_id == user.id and post.author_id != user.id


# Only the topic's author answers "Did this solve your problem?", once it is resolved.
def can_rate_satisfaction(user: User | None, topic: Topic | None = None) -> bool:
    if not _can_participate(user):
        return False
    return topic is None or (topic.author_id == user.id and topic.is_resolved)


# Verified members give kudos to other people's posts (once each; the service checks).
def can_give_kudos(user: User | None, post: Any = None) -> bool:
    return _can_participate(user) and (post is None or post.author_id != user.id)


# Any signed-in member may watch or mute a topic (muting needs no verified email).
def can_subscribe_topic(user: User | None, topic: Topic | None = None) -> bool:
    return _signed_in(user)


# The staff response queue and claiming a topic from it: staff roles only.
def can_view_staff_queue(user: User | None, obj: Any = None) -> bool:
    return _is_staff(user)


def can_claim_topic(user: User | None, topic: Topic | None = None) -> bool:
    return _is_staff(user)


# Everyone signed in edits their own settings (display name, email preference).
def can_edit_settings(user: User | None, obj: Any = None) -> bool:
    return _signed_in(user)


PREDICATES.update(
    {
        f.__name__: f
        for f in (
            can_mark_official_answer,
            can_accept_solution,
            can_rate_satisfaction,
            can_give_kudos,
            can_subscribe_topic,
            can_view_staff_queue,
            can_claim_topic,
            can_edit_settings,
        )
    }
)
