"""Fixtures for the topic tests: signing in by role, posting through the forms, and
building topics quickly through the service layer."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.security import generate_password_hash

from forum.accounts import services as account_services
from forum.extensions import db
from forum.models import Category, Post, Topic, User
from forum.topics import services
from tests.conftest import csrf_token

ROLES = ("member", "moderator", "staff", "executive", "admin")
STAFF_ROLES = ("moderator", "staff", "executive", "admin")
T0 = datetime(2020, 1, 6, 9, 0, tzinfo=UTC)


def _get(model, obj):
    return obj if isinstance(obj, model) else db.session.get(model, obj if isinstance(obj, int) else obj["id"])


class Builder:
    """Service-layer writes inside one app context; accepts models, ids or the dicts
    the ``make_user``/``make_category`` fixtures return."""

    def topic(self, category, author, title: str = "No 4G indoors in Leeds", body: str = "Since Tuesday.") -> Topic:
        topic = services.create_topic(_get(Category, category), author=_get(User, author), title=title, body=body)
        return topic

    def reply(self, topic, author, body: str = "Same here.", parent=None) -> Post:
        parent = _get(Post, parent) if parent is not None else None
        return services.reply_to_topic(_get(Topic, topic), author=_get(User, author), body=body, parent=parent)

    def first_post(self, topic) -> Post:
        return db.session.query(Post).filter_by(topic_id=_get(Topic, topic).id, is_first=True).one()

    def set_activity(self, topic, when: datetime) -> None:
        _get(Topic, topic).last_post_at = when
        db.session.flush()


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):
    """scrypt costs ~0.1 s per user and per sign-in; these tests are not about
    passwords, so hash them cheaply (sign-in still checks the hash)."""
    monkeypatch.setattr(
        account_services, "hash_password", lambda password: generate_password_hash(password, method="pbkdf2:sha256:1")
    )


@pytest.fixture
def build(app):
    """``with build() as b:`` gives a :class:`Builder`; the work is committed on exit.
    Never send requests inside the block: they would share its app context."""

    @contextmanager
    def _build():
        with app.app_context():
            yield Builder()
            db.session.commit()
            db.session.remove()

    return _build


@pytest.fixture
def category(make_category):
    return make_category()


@pytest.fixture
def signed_in(make_user, auth):
    """Create a user and sign the test client in as them."""

    def _sign_in(role: str = "member", *, verified: bool = True, username: str | None = None):
        user = make_user(username, role=role, verified=verified)
        resp = auth.login(user["username"])
        assert resp.status_code == 302, "sign-in failed"
        return user

    return _sign_in


@pytest.fixture
def post_form(client):
    """POST a form with a fresh CSRF token (taken from ``token_from``)."""

    def _post(path: str, data: dict, *, token_from: str = "/", with_csrf: bool = True, **kw):
        data = dict(data)
        if with_csrf:
            data["csrf_token"] = csrf_token(client, token_from)
        return client.post(path, data=data, **kw)

    return _post


@pytest.fixture
def at():
    """Fixed activity times: ``at(3)`` is three minutes after a fixed instant."""
    return lambda minutes: T0 + timedelta(minutes=minutes)
