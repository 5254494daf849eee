"""Help-desk fixtures: the topic fixtures (builder, sign-in by role, form posts) and a
topic with replies by a member and by staff."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Notification
from tests.topics.conftest import (  # noqa: F401 - fixtures shared with the topic tests
    _fast_password_hashing,
    at,
    build,
    category,
    post_form,
    signed_in,
)


@pytest.fixture
def thread(build, make_user, category):  # noqa: F811 - fixtures imported above
    """A topic by ``author`` with a reply by ``helper`` (a member) and one by ``care`` (staff)."""
    author, helper, care = make_user("author"), make_user("helper"), make_user("care", role="staff")
    with build() as b:
        topic = b.topic(category, author, title="No signal in Leeds")
        helper_reply = b.reply(topic, helper, body="Try turning on **Wi-Fi Calling**.")
        care_reply = b.reply(topic, care, body="We are upgrading a mast nearby; done by Friday.")
        return {
            "topic": topic.id,
            "path": f"/t/{topic.id}-{topic.slug}",
            "first": b.first_post(topic).id,
            "helper_reply": helper_reply.id,
            "care_reply": care_reply.id,
            "author": author,
            "helper": helper,
            "care": care,
        }


@pytest.fixture
def notes(app):
    """``notes(user)``: the (kind, text) of a user's notifications, oldest first."""

    def _notes(user, kind: str | None = None):
        with app.app_context():
            stmt = select(Notification).where(Notification.user_id == user["id"]).order_by(Notification.id)
            if kind:
                stmt = stmt.where(Notification.kind == kind)
            return [(n.kind, n.text, n.count) for n in db.session.scalars(stmt)]

    return _notes
