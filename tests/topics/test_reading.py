"""Unread tracking and view counts in topic lists: what members see ("new", "N unread",
jump to the first unread post, boards' "new since your last visit"), what visitors
see (nothing), and what is written (bounded)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Post, Topic, TopicRead, User
from forum.topics import viewcounts
from tests.conftest import AuthActions
from tests.topics.dom import page


@pytest.fixture(autouse=True)
def _no_buffered_views():
    viewcounts.discard_pending()  # ids are reused after the tables are wiped
    yield
    viewcounts.discard_pending()


@pytest.fixture
def world(make_user, make_category, build):
    """Bob joined; then Alice asked in Network, and someone else in Billing."""
    bob = make_user("bob")
    alice, cara = make_user("alice"), make_user("cara")
    network, billing = make_category(), make_category("Billing", "billing", "")
    with build() as b:
        topic = b.topic(network, alice, title="No 4G in Leeds")
        b.reply(topic, cara, body="Same here")
        other = b.topic(billing, cara, title="Double charged")
        ids = {"topic": topic.id, "other": other.id}
    return {"bob": bob, "alice": alice, "cara": cara, "network": network, "billing": billing, **ids}


def _client(app, user):
    client = app.test_client()
    assert AuthActions(client).login(user["username"]).status_code == 302
    return client


def _row(doc, title):
    for row in doc.one("table", cls="topic-table").find_all("tr")[1:]:
        if row.find("a", cls="topic-title").text == title:
            return row
    raise AssertionError(title)


def _marker(row):
    tag = row.find("a", cls="tag-new") or row.find("a", cls="tag-unread")
    return " ".join(tag.text.split()) if tag else None


def _reply(app, topic_id, username, body="More"):
    from forum.topics import services

    with app.app_context():
        topic = db.session.get(Topic, topic_id)
        user = db.session.scalar(select(User).where(User.username == username))
        post = services.reply_to_topic(topic, author=user, body=body)
        db.session.commit()
        return post.id


def test_a_topic_never_opened_is_new_and_reading_it_clears_the_marker(app, world):
    bob = _client(app, world["bob"])
    row = _row(page(bob.get("/c/network")), "No 4G in Leeds")
    assert _marker(row) == "new topic"
    assert "is-new" in row.get("class")
    assert bob.get(f"/t/{world['topic']}").status_code == 200
    assert _marker(_row(page(bob.get("/c/network")), "No 4G in Leeds")) is None


def test_a_reply_after_reading_is_unread_with_a_jump_to_it(app, world):
    bob = _client(app, world["bob"])
    bob.get(f"/t/{world['topic']}")
    first_new = _reply(app, world["topic"], "alice", "Fixed now?")
    _reply(app, world["topic"], "cara", "Not for me")
    row = _row(page(bob.get("/c/network")), "No 4G in Leeds")
    assert _marker(row) == "2 unread posts: jump to the first"
    link = row.find("a", cls="tag-unread").get("href")
    assert link == f"/p/{first_new}"
    landing = bob.get(link)
    assert landing.status_code == 302
    assert landing.headers["Location"].endswith(f"#p{first_new}")
    topic_page = page(bob.get(f"/t/{world['topic']}"))
    jump = topic_page.one("p", cls="unread-jump").find("a")
    assert "2 unread posts since your last visit" in jump.text
    assert jump.get("href") == f"/p/{first_new}"
    # ... and that view read them.
    assert _marker(_row(page(bob.get("/c/network")), "No 4G in Leeds")) is None
    assert page(bob.get(f"/t/{world['topic']}")).find("p", cls="unread-jump") is None


def test_the_home_page_marks_latest_topics_and_counts_new_per_board(app, world):
    bob = _client(app, world["bob"])
    doc = page(bob.get("/"))
    boards = {li.find("a", cls="board-name").text: li for li in doc.one("ul", cls="board-list").find_all("li")}
    assert " ".join(boards["Network & coverage"].find("span", cls="board-new").text.split()) \
        == "1 new or unread since your last visit"
    assert boards["Billing"].find("span", cls="board-new").text.startswith("1 new")
    items = doc.one("ol", cls="topic-list").find_all("li")
    assert all(li.find("a", cls="tag-new") for li in items)
    bob.get(f"/t/{world['other']}")
    doc = page(bob.get("/"))
    boards = {li.find("a", cls="board-name").text: li for li in doc.one("ul", cls="board-list").find_all("li")}
    assert boards["Billing"].find("span", cls="board-new") is None
    assert boards["Network & coverage"].find("span", cls="board-new") is not None
    _reply(app, world["other"], "alice")
    doc = page(bob.get("/"))
    assert doc.find("li", cls="is-unread").find("a", cls="tag-unread").text.startswith("1 unread")
    billing = [li for li in doc.one("ul", cls="board-list").find_all("li") if "Billing" in li.text][0]
    assert billing.find("span", cls="board-new").text.startswith("1 new")


def test_visitors_see_no_markers(client, world):
    for path in ("/", "/c/network", f"/t/{world['topic']}"):
        html = client.get(path).get_data(as_text=True)
        for marker in ("tag-new", "tag-unread", "unread-jump"):
            assert marker not in html, (path, marker)


def test_own_posts_hidden_posts_and_old_topics_are_not_news(app, world, make_user):
    from forum.moderation.services import hide_post

    alice = _client(app, world["alice"])
    assert _marker(_row(page(alice.get("/c/network")), "No 4G in Leeds")) is None, "her own topic is not new"
    alice.get(f"/t/{world['topic']}")
    _reply(app, world["topic"], "alice", "My own follow-up")
    assert _marker(_row(page(alice.get("/c/network")), "No 4G in Leeds")) is None, "her own reply is not unread"
    spam = _reply(app, world["topic"], "cara", "Buy followers")
    mod_id = make_user("mona", role="moderator")["id"]
    with app.app_context():
        mod = db.session.get(User, mod_id)
        hide_post(db.session.get(Post, spam), actor=mod, reason="Spam")
        db.session.commit()
    assert _marker(_row(page(alice.get("/c/network")), "No 4G in Leeds")) is None, "a hidden reply is no news"
    # A member who joins now: topics from before are neither new nor unread.
    late = _client(app, make_user("late"))
    assert "tag-new" not in late.get("/c/network").get_data(as_text=True)


def test_the_position_is_written_once_and_only_forward(app, world, count_queries):
    bob = _client(app, world["bob"])
    path = f"/t/{world['topic']}"
    bob.get(path)
    with app.app_context():
        row = db.session.get(TopicRead, (world["bob"]["id"], world["topic"]))
        last = db.session.scalar(select(Post.id).where(Post.topic_id == world["topic"]).order_by(Post.id.desc()))
        assert row.last_read_post_id == last
    counter = count_queries()
    with counter:
        assert bob.get(path).status_code == 200
    writes = [s for s in counter.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert writes == [], "nothing moved: nothing written"
    newer = _reply(app, world["topic"], "cara")
    counter = count_queries()
    with counter:
        bob.get(path)
    writes = [s for s in counter.statements if "topic_reads" in s and s.lstrip().upper().startswith("INSERT")]
    assert len(writes) == 1
    with app.app_context():
        assert db.session.get(TopicRead, (world["bob"]["id"], world["topic"])).last_read_post_id == newer
    from forum.topics.reading import record_position

    with app.app_context():
        record_position(world["bob"]["id"], world["topic"], 1)  # an old tab: never backwards
        assert db.session.get(TopicRead, (world["bob"]["id"], world["topic"])).last_read_post_id == newer


def test_a_page_with_later_pages_leaves_their_threads_unread(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "THREADS_PER_PAGE", 1)
    bob = _client(app, world["bob"])
    second = _reply(app, world["topic"], "alice", "Second thread")
    bob.get(f"/t/{world['topic']}")  # page 1 of 2: the opening post and the first thread
    row = _row(page(bob.get("/c/network")), "No 4G in Leeds")
    assert _marker(row) == "1 unread post: jump to the first"
    assert bob.get(row.find("a", cls="tag-unread").get("href")).headers["Location"].endswith(f"?page=2#p{second}")


def test_views_count_once_per_viewer_and_reach_the_database_in_one_batch(app, world, count_queries, runner):
    path = f"/t/{world['topic']}"
    visitor, bob = app.test_client(), _client(app, world["bob"])
    counter = count_queries()
    with counter:
        for _ in range(3):
            assert visitor.get(path).status_code == 200
            assert bob.get(path).status_code == 200
    assert not [s for s in counter.statements if s.lstrip().upper().startswith(("UPDATE", "INSERT INTO TOPICS"))], \
        "no write per page view"
    counter = count_queries()
    with counter, app.app_context():
        result = runner.invoke(args=["topics", "flush-views"])
    assert result.exit_code == 0
    assert "Views added to 1 topic." in result.output
    assert len([s for s in counter.statements if s.lstrip().upper().startswith("UPDATE TOPICS")]) == 1
    # ... plus one for the boards' page versions (their visitors' cached pages show the counts).
    assert len([s for s in counter.statements if s.lstrip().upper().startswith("UPDATE CATEGORIES")]) == 1
    row = _row(page(visitor.get("/c/network")), "No 4G in Leeds")
    assert row.find_all("td")[2].text.strip() == "2 views", "one visitor and one member"
    assert "2 views" in page(visitor.get(path)).text
    assert runner.invoke(args=["topics", "flush-views"]).output.startswith("Views added to 0 topics")


def test_views_flush_by_themselves_after_the_interval(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "TOPIC_VIEW_FLUSH_SECONDS", 0)
    client = app.test_client()
    client.get(f"/t/{world['topic']}")
    with app.app_context():
        assert db.session.get(Topic, world["topic"]).view_count == 1


def test_list_rows_show_people_state_and_counts(app, world, client):
    from forum.helpdesk import services as helpdesk

    with app.app_context():
        first = db.session.scalar(select(Post).where(Post.topic_id == world["topic"], Post.is_first.is_(True)))
        cara = db.session.scalar(select(User).where(User.username == "cara"))
        helpdesk.give_kudos(first, user=cara)
        db.session.commit()
    row = _row(page(client.get("/c/network")), "No 4G in Leeds")
    cells = row.find_all("td")
    assert cells[0].find("span", cls="avatar").text == "A"
    assert cells[4].find("span", cls="avatar").text == "C", "the last poster"
    assert row.find("span", cls="tag-state").text == "Waiting for Customer Care"
    assert [c.text.strip() for c in cells[1:4]] == ["1 reply", "0 views", "1 kudos"]
    time = cells[4].find("time")
    assert time.get("datetime").endswith("Z")
    assert time.text == "just now"


def test_times_on_lists_show_the_local_time_on_hover(app, world, client, monkeypatch):
    monkeypatch.setitem(app.config, "TIMEZONE", "America/New_York")
    with app.app_context():
        topic = db.session.get(Topic, world["topic"])
        topic.last_post_at = topic.last_post_at.replace(year=2026, month=7, day=1, hour=12, minute=0, second=0, microsecond=0)
        db.session.commit()
    row = _row(page(client.get("/c/network")), "No 4G in Leeds")
    time = row.find_all("td")[4].find("time")
    assert time.get("datetime") == "2026-07-01T12:00:00Z"
    assert time.get("title") == "01 Jul 2026, 08:00 EDT"
    home = page(client.get("/")).one("ol", cls="topic-list")
    assert any(t.get("title") == "01 Jul 2026, 08:00 EDT" for t in home.find_all("time"))


def test_home_and_board_queries_do_not_grow_with_topics_or_reads(app, world, make_user, make_category, build,
                                                                  count_queries):
    users = [make_user(n) for n in ("dan", "eve")]
    many = make_category("Many", "many", "")
    bob = _client(app, world["bob"])

    def count(path):
        bob.get(path)
        counter = count_queries()
        with counter:
            assert bob.get(path).status_code == 200
        return counter.count, counter.statements

    few_board, _ = count("/c/network")
    few_home, _ = count("/")
    with build() as b:
        for i in range(40):
            t = b.topic(many, users[i % 2], title=f"Many topic {i}")
            b.reply(t, users[(i + 1) % 2])
    with app.app_context():
        for t in db.session.scalars(select(Topic).where(Topic.category_id == many["id"]).order_by(Topic.id.desc()).limit(20)):
            db.session.add(TopicRead(user_id=world["bob"]["id"], topic_id=t.id, last_read_post_id=0,
                                     updated_at=t.created_at - timedelta(seconds=1)))
        db.session.commit()
    many_board, sql = count("/c/many")
    many_home, home_sql = count("/")
    assert many_board == few_board, sql
    assert many_home == few_home, home_sql
    doc = page(bob.get("/c/many"))
    assert len(doc.find_all("a", cls="tag-unread")) == 20
    assert len(doc.find_all("a", cls="tag-new")) == 5


def test_the_exit_flush_writes_buffered_views_outside_a_request(app, world):
    """gunicorn workers flush at exit (atexit), where no app context exists."""
    with app.app_context():
        before = db.session.get(Topic, world["topic"]).view_count
    with viewcounts._lock:
        viewcounts._pending[world["topic"]] += 3
    viewcounts._exit_flush(app)  # no app context is active here
    with app.app_context():
        assert db.session.get(Topic, world["topic"]).view_count == before + 3
