"""Idempotent writes (issue 18, finding 9): every posting form carries a one-time
submission token; a repeated submit of the same token answers with the first result
and stores nothing new. Tokens are bound to the member and expire."""

from __future__ import annotations

import re
import time
from html import unescape

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import func, select

from forum import idempotency
from forum.extensions import db
from forum.idempotency import STALE_MESSAGE
from forum.messages import services as message_services
from forum.models import (
    Category,
    Conversation,
    Incident,
    IncidentUpdate,
    IncidentUpdateRevision,
    Message,
    Post,
    PostRevision,
    SubmissionRecord,
    Topic,
    User,
)
from forum.topics import services as topic_services
from tests.conftest import AuthActions

_TOKEN_RE = re.compile(r'name="submission_token" type="hidden" value="([^"]*)"')
_CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def form_tokens(client, page: str, index: int = 0) -> dict:
    """The CSRF and submission tokens of the ``index``-th posting form on ``page``."""
    html = client.get(page).get_data(as_text=True)
    tokens = _TOKEN_RE.findall(html)
    assert tokens, f"no submission token on {page}"
    return {"csrf_token": _CSRF_RE.search(html).group(1), "submission_token": unescape(tokens[index])}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def submit_twice(client, path: str, data: dict, page: str):
    """Post the same filled-in form twice (a retry after a lost response)."""
    data = {**data, **form_tokens(client, page)}
    first = client.post(path, data=data)
    second = client.post(path, data=data)
    assert first.status_code == 302, first.get_data(as_text=True)[:2000]
    assert second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    return first, second


@pytest.fixture
def member(app, make_user, client):
    user = make_user("jess")
    assert AuthActions(client).login("jess").status_code == 302
    return user


@pytest.fixture
def staff_client(app, make_user):
    make_user("carol", role="staff")
    client = app.test_client()
    assert AuthActions(client).login("carol").status_code == 302
    return client


@pytest.fixture
def topic(app, make_user, make_category):
    cat = make_category()
    author = make_user("olly")
    with app.app_context():
        t = topic_services.create_topic(db.session.get(Category, cat["id"]), author=db.session.get(User, author["id"]),
                                        title="No 4G indoors in Leeds", body="Since Tuesday.")
        db.session.commit()
        return {"id": t.id, "slug": t.slug, "category": cat}


# --- each posting form ---------------------------------------------------------------------


def test_new_topic_double_submit_stores_one_topic(app, client, member, make_category):
    make_category()
    before = count(app, Topic)
    first, _ = submit_twice(client, "/c/network/new", {"title": "Voicemail not working", "body": "Since the update."},
                            "/c/network/new")
    assert count(app, Topic) == before + 1
    assert "/t/" in first.headers["Location"]
    assert "already sent" in client.get(first.headers["Location"]).get_data(as_text=True)


def test_reply_double_submit_stores_one_reply(app, client, member, topic):
    page = f"/t/{topic['id']}/reply"
    first, _ = submit_twice(client, page, {"body": "Same here in Hull."}, page)
    with app.app_context():
        replies = db.session.scalars(select(Post).where(Post.topic_id == topic["id"], Post.is_first.is_(False))).all()
        assert [p.body for p in replies] == ["Same here in Hull."]
        assert first.headers["Location"].split("?")[0].endswith(f"/p/{replies[0].id}")


def test_inline_reply_form_on_the_topic_page_carries_a_token(app, client, member, topic):
    first, _ = submit_twice(client, f"/t/{topic['id']}/reply", {"body": "From the topic page."}, f"/t/{topic['id']}")
    assert count(app, Post) == 2


def test_edit_double_submit_stores_one_revision(app, client, member, make_category):
    make_category()
    submit_twice(client, "/c/network/new", {"title": "Roaming in Spain", "body": "Does it work?"}, "/c/network/new")
    with app.app_context():
        post_id = db.session.scalar(select(Post.id))
    revisions = count(app, PostRevision)
    page = f"/p/{post_id}/edit"
    # The retry would otherwise be refused as a stale edit (409): it gets the first result.
    html = client.get(page).get_data(as_text=True)
    base = {name: re.search(rf'name="{name}" type="hidden" value="(\d+)"', html).group(1)
            for name in ("base_revision", "base_title_revision")}
    first, _ = submit_twice(client, page, {"body": "Does roaming work in Spain?", "title": "Roaming in Spain", **base},
                            page)
    assert first.headers["Location"].endswith(f"/p/{post_id}")
    assert count(app, PostRevision) == revisions + 1
    with app.app_context():
        assert db.session.get(Post, post_id).body == "Does roaming work in Spain?"


def test_private_message_double_submit_stores_one_conversation(app, client, member):
    first, _ = submit_twice(client, "/messages/new", {"subject": "My bill", "body": "It doubled this month."},
                            "/messages/new")
    assert count(app, Conversation) == 1
    assert count(app, Message) == 1
    conv_page = first.headers["Location"]
    path = conv_page.rsplit("#", 1)[0]
    conv_id = int(re.search(r"/messages/(\d+)", path).group(1))
    second_first, _ = submit_twice(client, f"/messages/{conv_id}/reply", {"body": "Any news?"}, f"/messages/{conv_id}")
    assert count(app, Message) == 2


def test_incident_forms_double_submit_store_once(app, staff_client):
    first, _ = submit_twice(staff_client, "/status/new",
                            {"title": "No data in Leeds", "tags": "leeds", "severity": "major",
                             "state": "investigating", "body": "We are looking into it."}, "/status/new")
    assert count(app, Incident) == 1
    with app.app_context():
        incident_id = db.session.scalar(select(Incident.id))
    updates = count(app, IncidentUpdate)
    submit_twice(staff_client, f"/status/{incident_id}/updates", {"state": "identified", "body": "A mast is down."},
                 f"/status/{incident_id}")
    assert count(app, IncidentUpdate) == updates + 1
    with app.app_context():
        update_id = db.session.scalar(select(IncidentUpdate.id).order_by(IncidentUpdate.id.desc()))
    page = f"/status/updates/{update_id}/correct"
    submit_twice(staff_client, page, {"body": "Two masts are down.", "reason": "Typo"}, page)
    assert count(app, IncidentUpdateRevision) == 1


# --- what the token guarantees ----------------------------------------------------------------


def test_the_first_result_is_stored_with_the_token(app, client, member, topic):
    page = f"/t/{topic['id']}/reply"
    first, _ = submit_twice(client, page, {"body": "Noted."}, page)
    with app.app_context():
        record = db.session.scalar(select(SubmissionRecord))
        assert record.result_url == first.headers["Location"].replace("http://localhost", "")
        assert record.user_id == db.session.scalar(select(User.id).where(User.username == "jess"))


def test_another_members_token_is_refused(app, client, member, topic, make_user):
    page = f"/t/{topic['id']}/reply"
    jess_tokens = form_tokens(client, page)
    make_user("kim")
    other = app.test_client()
    AuthActions(other).login("kim")
    data = {"body": "Posted with Jess's token", "csrf_token": form_tokens(other, page)["csrf_token"],
            "submission_token": jess_tokens["submission_token"]}
    resp = other.post(page, data=data)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert unescape(STALE_MESSAGE) in unescape(html)
    assert "Posted with Jess&#39;s token" in html or "Posted with Jess's token" in unescape(html)  # text kept
    assert count(app, Post) == 1
    # The form came back with a fresh token of Kim's own: sending it again works.
    fresh = unescape(_TOKEN_RE.search(html).group(1))
    assert fresh
    assert fresh != jess_tokens["submission_token"]
    resp = other.post(page, data={**data, "submission_token": fresh})
    assert resp.status_code == 302
    assert count(app, Post) == 2


@pytest.mark.parametrize("token", ["", "garbage", "x" * 5000, "eyJ1Ijo.fake.sig", "\x00"])
def test_missing_or_forged_token_gives_the_form_back(app, client, member, topic, token):
    page = f"/t/{topic['id']}/reply"
    data = {"body": "Without a real token", "csrf_token": form_tokens(client, page)["csrf_token"],
            "submission_token": token}
    resp = client.post(page, data=data)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert unescape(STALE_MESSAGE) in unescape(html)
    assert "Without a real token" in html
    assert _TOKEN_RE.search(html).group(1)  # a fresh one, to send it again
    assert count(app, Post) == 1


def test_expired_token_gives_the_form_back(app, client, member, topic, monkeypatch):
    page = f"/t/{topic['id']}/reply"
    real_time = time.time
    with app.test_request_context():
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(real_time()) - 25 * 3600)
        old = idempotency.new_token(member["id"])
        monkeypatch.undo()
    data = {"csrf_token": form_tokens(client, page)["csrf_token"], "submission_token": old, "body": "After a long lunch"}
    resp = client.post(page, data=data)
    assert resp.status_code == 422
    assert count(app, Post) == 1
    with app.test_request_context():  # the same token made now is accepted: only its age was wrong
        fresh = idempotency.new_token(member["id"])
    assert client.post(page, data={**data, "submission_token": fresh}).status_code == 302


def test_a_refused_submit_leaves_the_token_usable(app, client, member, topic):
    page = f"/t/{topic['id']}/reply"
    tokens = form_tokens(client, page)
    assert client.post(page, data={**tokens, "body": "x" * 20_001}).status_code == 422
    assert client.post(page, data={**tokens, "body": "Shorter now."}).status_code == 302
    assert count(app, Post) == 2


def test_tokens_are_unguessable_and_single_use_per_form(app, client, member, topic):
    page = f"/t/{topic['id']}/reply"
    a, b = form_tokens(client, page)["submission_token"], form_tokens(client, page)["submission_token"]
    assert a != b
    assert len(a) > 40
    # Two different forms (two tokens) are two posts.
    csrf = form_tokens(client, page)["csrf_token"]
    assert client.post(page, data={"csrf_token": csrf, "submission_token": a, "body": "One"}).status_code == 302
    assert client.post(page, data={"csrf_token": csrf, "submission_token": b, "body": "Two"}).status_code == 302
    assert count(app, Post) == 3


def test_service_layer_is_unchanged_for_other_callers(app, make_user, topic):
    """The token lives in the forms and views: services (CLI, demo) post as before."""
    author = make_user("nina")
    with app.app_context():
        t = db.session.get(Topic, topic["id"])
        topic_services.reply_to_topic(t, author=db.session.get(User, author["id"]), body="Via the service")
        conv = message_services.start_conversation(db.session.get(User, author["id"]), None, subject="Hi",
                                                   body="Via the service")
        db.session.commit()
        assert conv.id
    assert count(app, SubmissionRecord) == 0
