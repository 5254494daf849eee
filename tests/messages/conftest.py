"""Fixtures for the private-messages tests: users by role, one signed-in test client
per user, and conversations built through the services."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from forum.extensions import db
from forum.messages import services
from forum.models import Conversation, Topic, User
from tests.conftest import AuthActions, csrf_token
from tests.topics.conftest import _fast_password_hashing, build, category  # noqa: F401 - fixtures

ROLES = ("member", "moderator", "staff", "executive", "admin")


@pytest.fixture
def people(make_user):
    """One user per role, plus a second member (``other``)."""
    users = {role: make_user(f"{role}_u", role=role) for role in ROLES}
    users["other"] = make_user("other_member")
    return users


@pytest.fixture
def client_for(app):
    """A test client signed in as ``user`` (a ``make_user`` dict); ``None``: anonymous."""

    def _client(user):
        c = app.test_client()
        if user is not None:
            resp = AuthActions(c).login(user["username"], user["password"])
            assert resp.status_code == 302, "sign-in failed"
        return c

    return _client


def post(client, path: str, data: dict, token_from: str = "/"):
    data = dict(data)
    data["csrf_token"] = csrf_token(client, token_from)
    return client.post(path, data=data)


@pytest.fixture
def work(app):
    """``with work() as w:`` runs service calls in one app context, committed on exit.
    ``w.user(d)`` and ``w.conv(id)`` load models."""

    class W:
        services = services

        def user(self, d) -> User:
            return db.session.get(User, d["id"])

        def conv(self, conv_id: int) -> Conversation:
            return db.session.get(Conversation, conv_id)

        def topic(self, topic_id: int) -> Topic:
            return db.session.get(Topic, topic_id)

    @contextmanager
    def _work():
        with app.app_context(), app.test_request_context():
            yield W()
            db.session.commit()
            db.session.remove()

    return _work


@pytest.fixture
def team_conv(work, people):
    """A member's conversation with Customer Care, started by the member."""
    with work() as w:
        conv = services.start_conversation(w.user(people["member"]), None, subject="My bill", body="I was charged twice.")
        return conv.id
