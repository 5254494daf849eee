"""What a signed-in member's page costs on top of a visitor's (issue 16), and that every
figure read with the session or kept per member shows a write at once: the header's
unread notifications and conversations (read by the session load), the read marks and
the boards' "new since your last visit" (cached per member under the reads version)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forum import create_app
from forum.extensions import db
from forum.messages import services as messages
from forum.models import Conversation, Topic, User
from forum.topics import services, viewcounts
from tests.conftest import AuthActions
from tests.topics.dom import page


@pytest.fixture(autouse=True)
def _no_buffered_views():
    viewcounts.discard_pending()
    yield
    viewcounts.discard_pending()


@pytest.fixture
def world(make_user, make_category, build):
    """Bob joined; Alice asked in Network (Cara replied), Cara asked in Billing."""
    bob, alice, cara = make_user("bob"), make_user("alice"), make_user("cara")
    network, billing = make_category(), make_category("Billing", "billing", "")
    with build() as b:
        topic = b.topic(network, alice, title="No 4G in Leeds")
        b.reply(topic, cara, body="Same here")
        other = b.topic(billing, cara, title="Double charged")
        ids = {"topic": topic.id, "other": other.id}
    return {"bob": bob, "alice": alice, "cara": cara, **ids}


def _client(app, user):
    client = app.test_client()
    assert AuthActions(client).login(user["username"]).status_code == 302
    return client


def _reply(app, topic_id, username, body="More"):
    with app.app_context():
        topic = db.session.get(Topic, topic_id)
        user = db.session.scalar(select(User).where(User.username == username))
        post = services.reply_to_topic(topic, author=user, body=body)
        db.session.commit()
        return post.id


def _header(html: str) -> str:
    return html.split("</header>")[0]


def _notifications(html: str) -> int:
    link = re.search(r'id="notifications-link".*?</a>', _header(html), re.S).group(0)
    m = re.search(r'aria-label="(\d+) unread"', link)
    return int(m.group(1)) if m else 0


def _messages(html: str) -> int:
    m = re.search(r'Messages(?: <span class="count-badge" aria-label="(\d+) unread">)?', _header(html))
    return int(m.group(1)) if m.group(1) else 0


def _marker(client, path, title):
    for row in page(client.get(path)).one("table", cls="topic-table").find_all("tr")[1:]:
        if row.find("a", cls="topic-title").text == title:
            tag = row.find("a", cls="tag-new") or row.find("a", cls="tag-unread")
            return " ".join(tag.text.split()) if tag else None
    raise AssertionError(title)


def _board_new(client) -> dict[str, str]:
    doc = page(client.get("/"))
    return {li.find("a", cls="board-name").text: " ".join(li.find("span", cls="board-new").text.split())
            for li in doc.one("ul", cls="board-list").find_all("li") if li.find("span", cls="board-new")}


def test_a_warm_home_page_costs_a_member_only_the_session_query(app, world, count_queries):
    bob = _client(app, world["bob"])
    bob.get("/")
    counter = count_queries()
    with counter:
        assert bob.get("/").status_code == 200
    assert counter.count == 1, counter.statements
    assert "user_sessions" in counter.statements[0]
    assert "notifications" in counter.statements[0]


def test_the_topic_page_asks_nothing_about_notifications_when_none_is_unread(app, world, count_queries):
    bob = _client(app, world["bob"])
    path = f"/t/{world['topic']}"
    bob.get(path)
    counter = count_queries()
    with counter:
        assert bob.get(path).status_code == 200
    assert not [s for s in counter.statements[1:] if "notifications" in s], counter.statements


def test_the_header_shows_a_new_notification_and_its_reading_at_once(app, world):
    alice = _client(app, world["alice"])
    alice.get(f"/t/{world['topic']}")  # Cara's reply read
    assert _notifications(alice.get("/").get_data(as_text=True)) == 0
    _reply(app, world["topic"], "cara", "Still nothing")  # Alice follows her topic: notified
    assert _notifications(alice.get("/").get_data(as_text=True)) == 1
    assert _notifications(alice.get("/c/network").get_data(as_text=True)) == 1
    # The page of the topic leaves it out already; later pages count it read.
    assert _notifications(alice.get(f"/t/{world['topic']}").get_data(as_text=True)) == 0
    assert _notifications(alice.get("/").get_data(as_text=True)) == 0


def test_the_header_shows_a_new_message_and_its_reading_at_once(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "MEMBER_DMS", True)
    bob = _client(app, world["bob"])
    assert _messages(bob.get("/").get_data(as_text=True)) == 0
    with app.app_context():
        alice = db.session.get(User, world["alice"]["id"])
        conv = messages.start_conversation(alice, db.session.get(User, world["bob"]["id"]), subject="Your bill",
                                           body="Did it get fixed?")
        db.session.commit()
        conv_id = conv.id
    assert _messages(bob.get("/").get_data(as_text=True)) == 1
    assert bob.get(f"/messages/{conv_id}").status_code == 200
    assert _messages(bob.get("/").get_data(as_text=True)) == 0
    with app.app_context():
        messages.send_message(db.session.get(Conversation, conv_id), author=db.session.get(User, world["alice"]["id"]),
                              body="Hello again?")
        db.session.commit()
    assert _messages(bob.get("/c/billing").get_data(as_text=True)) == 1


def test_cached_marks_and_board_counts_follow_reading_and_replies(app, world, count_queries):
    bob = _client(app, world["bob"])
    assert _marker(bob, "/c/network", "No 4G in Leeds") == "new topic"
    assert set(_board_new(bob)) == {"Network & coverage", "Billing"}
    counter = count_queries()
    with counter:
        bob.get("/c/network")
    assert not [s for s in counter.statements if "topic_reads" in s and "user_sessions" not in s], \
        "the marks come from the member's cache"
    bob.get(f"/t/{world['topic']}")  # reading moves the position: the cached marks give way
    assert _marker(bob, "/c/network", "No 4G in Leeds") is None
    assert set(_board_new(bob)) == {"Billing"}
    _reply(app, world["topic"], "cara", "Any news?")  # a reply by someone else: a new list generation
    assert _marker(bob, "/c/network", "No 4G in Leeds") == "1 unread post: jump to the first"
    assert set(_board_new(bob)) == {"Network & coverage", "Billing"}
    assert "1 unread post since your last visit" in bob.get(f"/t/{world['topic']}").get_data(as_text=True)
    assert "unread post since" not in bob.get(f"/t/{world['topic']}").get_data(as_text=True)


def test_a_position_moved_in_one_worker_shows_in_another_at_once(app, world):
    """Two apps on one database, each with its own per-process cache (no Redis): the reads
    version comes with the session from the database, so the other worker's cached marks
    are not used."""
    other = create_app({**{k: app.config[k] for k in (
        "TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "RATELIMIT_ENABLED", "SERVER_NAME",
        "PASSWORD_HASH_METHOD", "STAFF_2FA_REQUIRED", "SEARCH_INDEX_DIR", "TOPIC_VIEW_FLUSH_SECONDS")},
        "SEARCH_RETRY_SECONDS": 0})
    try:
        bob = _client(app, world["bob"])
        bob_elsewhere = other.test_client()
        for cookie in bob._cookies.values():  # the same browser, served by the other worker
            bob_elsewhere.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
        assert _marker(bob_elsewhere, "/c/network", "No 4G in Leeds") == "new topic"  # cached there now
        bob.get(f"/t/{world['topic']}")
        assert _marker(bob_elsewhere, "/c/network", "No 4G in Leeds") is None
    finally:
        with other.app_context():  # close the other app's connections (no stray ResourceWarning later)
            db.session.remove()
            db.engine.dispose()


def test_the_header_form_renders_the_csrf_field_as_wtforms_does(app):
    from forum.forms import EmptyForm
    from forum.templating import HeaderForm

    with app.test_request_context("/"):
        assert str(HeaderForm().csrf_token) == str(EmptyForm(formdata=None).csrf_token)


def test_signing_out_through_the_header_form_works(app, world):
    bob = _client(app, world["bob"])
    html = bob.get("/").get_data(as_text=True)
    token = re.search(r'action="/logout".*?name="csrf_token" type="hidden" value="([^"]+)"', html, re.S).group(1)
    assert bob.post("/logout", data={"csrf_token": token}).status_code == 302
    assert 'id="notifications-link"' not in bob.get("/").get_data(as_text=True)
