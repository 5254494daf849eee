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


# --- incidents ---


# Staff (anyone acting for the brand) open incidents, post and correct updates,
# resolve them and publish their summaries.
def can_manage_incidents(user: User | None, incident: Any = None) -> bool:
    return _is_staff(user)


# A member may press "I'm affected" on an open incident (visitors only when
# FORUM_INCIDENT_ANON_REPORTS is on; the view checks that setting).
def can_report_affected(user: User | None, incident: Any = None) -> bool:
    return _can_participate(user) and (incident is None or incident.is_open)


# A member may follow an incident to be notified of its updates.
def can_follow_incident(user: User | None, incident: Any = None) -> bool:
    return _can_participate(user)


# Staff may move a topic into an incident as a linked report (logged with a reason).
def can_link_topic_to_incident(user: User | None, topic: Any = None) -> bool:
    return _is_staff(user)


PREDICATES.update(
    {
        f.__name__: f
        for f in (can_manage_incidents, can_report_affected, can_follow_incident, can_link_topic_to_incident)
    }
)
