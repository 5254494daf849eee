"""Posting rate limits for members (new topics and replies), with Flask-Limiter.

Members get ``RATELIMIT_POSTS_MEMBER`` (``RATELIMIT_POSTS_NEW_MEMBER`` while their
account is younger than ``RATELIMIT_NEW_MEMBER_DAYS``, except for replies in their own
topic once Customer Care replied there), counted per account across new topics and replies. Staff, moderators, executives and admins are never limited: in a
crisis Customer Care must be able to answer as fast as it can type. A member who hits
the limit gets the form back (status 429) with their text and a message saying when
they can post again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app, make_response, render_template, request
from flask_limiter import RequestLimit
from flask_login import current_user

from forum.extensions import db, limiter
from forum.idempotency import replayed
from forum.models import Post
from forum.models.base import utcnow
from forum.topics import forms
from forum.topics.queries import category_by_slug, get_topic


def _replied_topic():
    """The topic a reply request posts in, else ``None``."""
    if request.endpoint != "topics.reply":
        return None
    topic_id = (request.view_args or {}).get("topic_id")
    return get_topic(int(topic_id)) if isinstance(topic_id, int) else None


def limit_for(user, topic=None) -> str:
    """The posting limit that applies to ``user`` replying in ``topic`` (or starting a
    topic, ``None``). A reply in the member's own topic after Customer Care replied there
    gets the ordinary limit: the new-member limit exists for spam, not for a
    conversation with us."""
    cfg = current_app.config
    joined = getattr(user, "created_at", None)
    if joined is not None and joined > utcnow() - timedelta(days=int(cfg["RATELIMIT_NEW_MEMBER_DAYS"])):
        with_us = topic is not None and topic.author_id == user.id and topic.has_staff_reply
        if not with_us:
            return cfg["RATELIMIT_POSTS_NEW_MEMBER"]
    return cfg["RATELIMIT_POSTS_MEMBER"]


def _posting_limit() -> str:
    return limit_for(current_user, _replied_topic())


def charge_posting(user, topic=None) -> datetime | None:
    """Count one post by ``user`` against the same shared budget as the posting forms,
    outside a request (replies by email). Returns ``None`` when it fits, else when the
    member can post again (nothing is counted then). Staff are never limited."""
    if not current_app.config.get("RATELIMIT_ENABLED", True) or user.is_staff:
        return None
    from limits import parse_many

    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    args = [a for a in (prefix, f"account:{user.id}", "posting") if a]
    strategy = limiter.limiter
    items = parse_many(limit_for(user, topic))
    for item in items:
        if not strategy.test(item, *args):
            return datetime.fromtimestamp(strategy.get_window_stats(item, *args).reset_time, UTC)
    for item in items:
        strategy.hit(item, *args)
    return None


def _exempt() -> bool:
    """Visitors are sent to sign in anyway; anyone acting for the brand is never limited."""
    return not current_user.is_authenticated or current_user.is_staff


def _account_key() -> str:
    return f"account:{current_user.id}"  # not get_id(): that is the session token


def _counted(response) -> bool:
    """Only posts that went through count (a redirect); a form with errors does not, nor
    a repeated submit answered with its first result (forum.idempotency)."""
    return response.status_code in (302, 303) and not replayed()


def breach_message(reset_at: datetime, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    minutes = max(1, -(-int((reset_at - now).total_seconds()) // 60))
    return (
        f"You have posted a lot in a short time, so please wait before posting again. You can post again at "
        f"{reset_at:%H:%M} UTC (in about {minutes} minute{'s' if minutes != 1 else ''}). Your text is kept below."
    )


def _breach(limit: RequestLimit):
    """Render the member's form again, text kept, with a 429 and a Retry-After header."""

    reset_at = datetime.fromtimestamp(limit.reset_at, UTC)
    message = breach_message(reset_at)
    args = request.view_args or {}
    if request.endpoint == "topics.new_topic":
        category = category_by_slug(str(args.get("slug", ""))[:80])
        if category is None:
            return None
        form = forms.NewTopicForm()
        form.body.errors = [message]
        html = render_template("topics/new_topic.html", category=category, form=form)
    elif request.endpoint == "topics.reply":
        topic = get_topic(int(args.get("topic_id", 0)))
        if topic is None:
            return None
        form = forms.ReplyForm()
        form.body.errors = [message]
        raw = str(form.parent_id.data or "")
        parent = db.session.get(Post, int(raw)) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
        if parent is not None and parent.topic_id != topic.id:
            parent = None
        html = render_template("topics/reply.html", topic=topic, parent=parent, form=form)
    else:
        return None
    response = make_response(html, 429)
    response.headers["Retry-After"] = str(max(1, int(reset_at.timestamp() - datetime.now(UTC).timestamp())))
    return response


#: Decorate a posting view with this. One shared budget for topics and replies.
posting_limit = limiter.shared_limit(
    _posting_limit,
    scope="posting",
    key_func=_account_key,
    exempt_when=_exempt,
    deduct_when=_counted,
    methods=["POST"],
    on_breach=_breach,
)
