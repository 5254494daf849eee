"""Fixtures for the moderation tests: a small forum with one member of each role."""

from __future__ import annotations

import pytest

from forum.extensions import db
from forum.models import Category, Post, Topic, User
from tests.topics.conftest import _fast_password_hashing, build, category, post_form, signed_in  # noqa: F401

#: Who is asking, in every access matrix.
VIEWERS = ("anonymous", "member", "author", "moderator", "staff", "admin")
MODERATORS = ("moderator", "admin")


@pytest.fixture
def world(make_user, build, category):  # noqa: F811 - fixtures imported above
    """author (member) wrote a topic and a reply; other, mod, care (staff), boss (admin)."""
    users = {
        "author": make_user("alice"),
        "member": make_user("bob"),
        "moderator": make_user("mona", role="moderator"),
        "staff": make_user("carl", role="staff"),
        "admin": make_user("ada", role="admin"),
        "member2": make_user("dina"),
        "member3": make_user("eric"),
    }
    with build() as b:
        topic = b.topic(category, users["author"], title="No 4G indoors in Leeds", body="Since Tuesday, no signal.")
        reply = b.reply(topic, users["author"], body="My number is 07700 900123, call me.")
        other = b.topic(category, users["member"], title="Roaming in France", body="Does roaming work?")
        ids = {"topic": topic.id, "first": b.first_post(topic).id, "reply": reply.id, "other_topic": other.id}
    return {"users": users, "category": category, **ids}


@pytest.fixture
def as_viewer(auth):
    """Sign the client in as one of :data:`VIEWERS` of ``world`` (or stay anonymous)."""

    def _as(world, viewer: str):
        if viewer != "anonymous":
            assert auth.login(world["users"][viewer]["username"]).status_code == 302
        return world["users"].get(viewer)

    return _as


class Get:
    """Load models by id inside an app context."""

    @staticmethod
    def user(world, who) -> User:
        return db.session.get(User, world["users"][who]["id"])

    @staticmethod
    def post(pid) -> Post:
        return db.session.get(Post, pid)

    @staticmethod
    def topic(tid) -> Topic:
        return db.session.get(Topic, tid)

    @staticmethod
    def category(cid) -> Category:
        return db.session.get(Category, cid)


@pytest.fixture
def get():
    return Get
