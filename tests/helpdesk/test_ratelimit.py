"""Posting limits: members are limited on new topics and replies, with their text kept
and a clear "when can I post again"; staff roles are never limited. Rate limits are
off in the shared test app, so these tests build their own app with them on."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_migrate import upgrade

from forum import create_app
from forum.accounts import services as account_services
from forum.extensions import db, limiter
from forum.models import Category, Post, Topic, User
from forum.models.base import utcnow
from tests.conftest import PASSWORD, submission_token_for
from tests.topics.dom import page


@pytest.fixture
def limited_app(tmp_path):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "x",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'limits.sqlite'}",
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_POSTS_MEMBER": "3 per hour",
        "RATELIMIT_POSTS_NEW_MEMBER": "2 per hour",
        "RATELIMIT_NEW_MEMBER_DAYS": 7,
        "STAFF_2FA_REQUIRED": False,  # staff sign in with a password here (2FA: tests/accounts)
    })
    with app.app_context():
        upgrade()
        db.session.add(Category(name="Network", slug="network", description="", position=1))
        db.session.commit()
    limiter.reset()
    yield app
    limiter.reset()
    with app.app_context():
        db.engine.dispose()


def _user(app, username, role="member", *, age_days=30):
    with app.app_context():
        user = account_services.create_user(username=username, email=f"{username}@example.test", password=PASSWORD,
                                            role=role, verified=True)
        user.created_at = utcnow() - timedelta(days=age_days)
        db.session.commit()
        return user.id


def _client(app, username):
    client = app.test_client()
    assert client.post("/login", data={"login": username, "password": PASSWORD}).status_code == 302
    return client


def _topic(app, author_id) -> int:
    from forum.topics import services

    with app.app_context():
        cat = db.session.query(Category).one()
        topic = services.create_topic(cat, author=db.session.get(User, author_id), title="Limits topic", body="Hello")
        db.session.commit()
        return topic.id


def test_member_hits_the_reply_limit_and_keeps_their_text(limited_app):
    member = _user(limited_app, "chatty")
    tid = _topic(limited_app, member)
    client = _client(limited_app, "chatty")
    # A form with errors does not use up the allowance.
    assert client.post(f"/t/{tid}/reply", data={"body": ""}).status_code == 422
    for i in range(3):
        assert client.post(f"/t/{tid}/reply", data={"body": f"reply {i}"}).status_code == 302
    resp = client.post(f"/t/{tid}/reply", data={"body": "My carefully written fourth reply"})
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) > 0
    doc = page(resp)
    assert doc.one("textarea", id="body").text.strip() == "My carefully written fourth reply"
    errors = doc.one("ul", id="body-error").text
    assert re.search(r"You can post again at \d\d:\d\d UTC \(in about \d+ minutes?\)", errors), errors
    with limited_app.app_context():
        assert db.session.query(Post).filter_by(topic_id=tid).count() == 4  # opening post + 3
    # Reading is never limited.
    assert client.get(f"/t/{tid}").status_code == 200


def test_a_repeated_submit_does_not_use_up_the_allowance(limited_app):
    """A retried reply (the same one-time token) is answered with the first result and
    does not count again (issue 18, finding 9)."""
    member = _user(limited_app, "retrier")
    tid = _topic(limited_app, member)
    client = _client(limited_app, "retrier")
    data = {"body": "Sent once, retried four times", "submission_token": submission_token_for(client)}
    locations = {client.post(f"/t/{tid}/reply", data=data).headers["Location"] for _ in range(5)}
    assert len(locations) == 1
    statuses = [client.post(f"/t/{tid}/reply", data={"body": f"reply {i}"}).status_code for i in range(3)]
    assert statuses == [302, 302, 429]  # 3 per hour: the retried reply counted once
    with limited_app.app_context():
        assert db.session.query(Post).filter_by(topic_id=tid).count() == 4


def test_new_topics_share_the_budget_and_keep_title_and_text(limited_app):
    _user(limited_app, "starter")
    client = _client(limited_app, "starter")
    for i in range(3):
        assert client.post("/c/network/new", data={"title": f"Question {i} here", "body": "text"}).status_code == 302
    resp = client.post("/c/network/new", data={"title": "My fourth question", "body": "Full details"})
    assert resp.status_code == 429
    doc = page(resp)
    assert doc.one("input", id="title").get("value") == "My fourth question"
    assert doc.one("textarea", id="body").text.strip() == "Full details"
    assert "You can post again at" in doc.one("ul", id="body-error").text


def test_new_members_get_the_tighter_limit(limited_app):
    newbie = _user(limited_app, "newbie", age_days=1)
    tid = _topic(limited_app, newbie)
    client = _client(limited_app, "newbie")
    statuses = [client.post(f"/t/{tid}/reply", data={"body": f"r{i}"}).status_code for i in range(3)]
    assert statuses == [302, 302, 429]


def test_limits_are_per_account(limited_app):
    a, _ = _user(limited_app, "alpha"), _user(limited_app, "bravo")
    tid = _topic(limited_app, a)
    first, second = _client(limited_app, "alpha"), _client(limited_app, "bravo")
    assert [first.post(f"/t/{tid}/reply", data={"body": "x"}).status_code for _ in range(4)][-1] == 429
    assert second.post(f"/t/{tid}/reply", data={"body": "y"}).status_code == 302


def test_staff_posts_a_thousand_replies_unthrottled(limited_app):
    care = _user(limited_app, "crisis.care", role="staff", age_days=0)
    tid = _topic(limited_app, care)
    client = _client(limited_app, "crisis.care")
    statuses = [client.post(f"/t/{tid}/reply", data={"body": f"Update {i}: we are on it."}).status_code
                for i in range(1000)]
    assert statuses == [302] * 1000
    with limited_app.app_context():
        assert db.session.get(Topic, tid).reply_count == 1000


@pytest.mark.parametrize("role", ["moderator", "executive", "admin"])
def test_other_staff_roles_are_never_limited(limited_app, role):
    uid = _user(limited_app, f"{role}.one", role=role, age_days=0)
    tid = _topic(limited_app, uid)
    client = _client(limited_app, f"{role}.one")
    assert {client.post(f"/t/{tid}/reply", data={"body": "ok"}).status_code for _ in range(25)} == {302}
    assert client.post("/c/network/new", data={"title": "Planned works tonight", "body": "Details"}).status_code == 302


def test_new_members_replying_to_customer_care_in_their_own_topic_are_not_held(limited_app):
    """Issue 12: the new-member limit exists for spam, not for a conversation with us."""
    asker = _user(limited_app, "newcomer", age_days=0)
    care = _user(limited_app, "agent", role="staff")
    own = _topic(limited_app, asker)
    other = _topic(limited_app, _user(limited_app, "someone"))
    _client(limited_app, "agent").post(f"/t/{own}/reply", data={"body": "Which postcode area are you in?"})
    client = _client(limited_app, "newcomer")
    # Three replies in their own topic: over the new-member limit (2), within the member one (3).
    for i in range(3):
        assert client.post(f"/t/{own}/reply", data={"body": f"Update {i}"}).status_code == 302, i
    # Elsewhere the new-member limit still holds.
    codes = [client.post(f"/t/{other}/reply", data={"body": f"Me too {i}"}).status_code for i in range(3)]
    assert codes == [302, 302, 429]
    assert care
