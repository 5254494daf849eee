"""API fixtures: tokens made through the services, a bearer-token client, and a
small community (a topic with replies, an incident, a private case)."""

from __future__ import annotations

import pytest

from forum.api import services as api_services
from forum.extensions import db
from forum.models import User
from tests.topics.conftest import (  # noqa: F401 - fixtures shared with the topic tests
    _fast_password_hashing,
    build,
    category,
    post_form,
    signed_in,
)


@pytest.fixture
def make_token(app):
    """``make_token(user, scopes=...)``: a token's secret (personal for staff; a
    service token, made by ``admin``, when ``admin`` is given)."""

    def _make(user: dict, scopes=("read", "write", "staff"), *, admin: dict | None = None, rate_limit: str = ""):
        with app.app_context():
            owner = db.session.get(User, user["id"])
            if admin is not None:
                _, secret = api_services.create_service_token(actor=db.session.get(User, admin["id"]),
                                                              service_user=owner, name="CRM", scopes=scopes,
                                                              rate_limit=rate_limit)
            else:
                _, secret = api_services.create_personal_token(user=owner, name="tools", scopes=scopes,
                                                               rate_limit=rate_limit)
            db.session.commit()
            return secret

    return _make


class ApiClient:
    """The test client with ``Authorization: Bearer`` (or none) and JSON bodies."""

    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def _headers(self, extra=None):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def get(self, path, **kw):
        return self.client.get(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path, json=None, **kw):
        return self.client.post(path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)


@pytest.fixture
def api(app):
    """``api(token)``: a fresh client (no cookies) calling with that token."""
    return lambda token=None: ApiClient(app.test_client(), token)


@pytest.fixture
def community(build, make_user, category):  # noqa: F811 - fixture imported above
    """A topic by a member with a reply, staff and admin accounts."""
    member, care, admin = make_user("member"), make_user("care", role="staff"), make_user("boss", role="admin")
    with build() as b:
        topic = b.topic(category, member, title="No signal in Leeds", body="Since Tuesday, **no bars**.")
        reply = b.reply(topic, care, body="We are upgrading a mast nearby.")
        return {"topic": topic.id, "reply": reply.id, "member": member, "care": care, "admin": admin,
                "category": category}
