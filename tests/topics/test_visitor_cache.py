"""The visitor's cached topic and board pages (forum/visitorcache.py): the same HTML as a
fresh render, and every kind of write shows on the very next view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from forum.extensions import db
from forum.helpdesk import services as helpdesk
from forum.models import Category, Post, Topic, User
from forum.moderation import services as moderation
from forum.topics import services, viewcounts
from tests.topics.dom import page


@pytest.fixture
def world(app, build, make_user, category, make_category):
    ann, bob = make_user("ann"), make_user("bob")
    staff = make_user("carol", role="staff")
    mod = make_user("moira", role="moderator")
    other = make_category("Billing", "billing", "Bills")
    with build() as b:
        topic = b.topic(category, ann, title="No 4G in Leeds", body="Since Tuesday.")
        reply = b.reply(topic, bob, body="Same in Hull.")
        ids = {"topic": topic.id, "slug": topic.slug, "reply": reply.id, "first": b.first_post(topic).id}
    return {"ann": ann, "bob": bob, "staff": staff, "mod": mod, "other": other, **ids}


def _path(world) -> str:
    return f"/t/{world['topic']}-{world['slug']}"


def _write(app, fn):
    """Run ``fn`` in its own app context and commit, as a request or a job would."""
    with app.app_context():
        fn()
        db.session.commit()
        db.session.remove()


def _user(name):
    return db.session.scalar(select(User).where(User.username == name))


def _warm(client, *paths):
    for p in paths:
        assert client.get(p).status_code == 200
        assert client.get(p).status_code == 200  # now from the cache


def test_cached_pages_are_the_fresh_render(app, client, world, monkeypatch):
    for path in (_path(world), "/c/network", "/c/network?status=unresolved", f"/t/{world['topic']}"):
        cached = [client.get(path).get_data(as_text=True) for _ in range(2)]
        monkeypatch.setitem(app.config, "VISITOR_CACHE_SECONDS", 0)
        fresh = client.get(path).get_data(as_text=True)
        monkeypatch.setitem(app.config, "VISITOR_CACHE_SECONDS", 120)
        assert cached[0] == cached[1] == fresh
    assert "\x00" not in fresh


def test_a_hit_runs_one_query_and_sets_no_cookie(app, client, world, count_queries):
    _warm(client, _path(world), "/c/network")
    for path in (_path(world), "/c/network"):
        counter = count_queries()
        with counter:
            resp = client.get(path)
        assert counter.count == 1, counter.statements
        assert "Set-Cookie" not in resp.headers


def test_relative_times_are_filled_in_per_request(app, client, world, monkeypatch):
    _warm(client, _path(world))
    from forum import templating

    monkeypatch.setattr(templating, "timesince", lambda value, now=None: "in a while")
    assert "in a while" in client.get(_path(world)).get_data(as_text=True)
    assert "in a while" in client.get("/c/network").get_data(as_text=True)


def test_a_members_page_is_never_the_visitors_copy(app, client, world, signed_in):
    _warm(client, _path(world))
    signed_in()
    assert "Post reply" in client.get(_path(world)).get_data(as_text=True)


WRITES = {
    "reply": (lambda w: services.reply_to_topic(db.session.get(Topic, w["topic"]), author=_user("bob"),
                                                body="Fixed after a restart."), "Fixed after a restart."),
    "edit": (lambda w: services.edit_post(db.session.get(Post, w["reply"]), editor=_user("bob"),
                                          body="Same in Hull, and York."), "Same in Hull, and York."),
    "hide": (lambda w: moderation.hide_post(db.session.get(Post, w["reply"]), actor=_user("moira"),
                                            reason="Off topic here"), "Hidden by a moderator: Off topic here"),
    "kudos": (lambda w: helpdesk.give_kudos(db.session.get(Post, w["reply"]), user=_user("ann")), "1 kudos"),
    "official answer": (lambda w: helpdesk.mark_official_answer(db.session.get(Post, w["reply"]), actor=_user("carol"),
                                                                reason="Right"), "Official answer"),
    "solution": (lambda w: helpdesk.accept_solution(db.session.get(Post, w["reply"]), actor=_user("ann")),
                 "Accepted solution"),
    "lock": (lambda w: moderation.set_locked(db.session.get(Topic, w["topic"]), True, actor=_user("moira"),
                                             reason="Done"), "This topic is locked"),
    "title": (lambda w: services.edit_topic_title(db.session.get(Topic, w["topic"]), editor=_user("ann"),
                                                  title="No 4G in Leeds city centre"), "No 4G in Leeds city centre"),
    "rename": (lambda w: setattr(_user("bob"), "display_name", "Bobby Tables"), "Bobby Tables"),
    "role": (lambda w: setattr(_user("bob"), "role", "staff"), "post-staff"),
    "bulk update": (lambda w: db.session.execute(update(Post).where(Post.id == w["reply"]).values(
        moderator_edit_reason="Rewritten in bulk")), "edited by a moderator: Rewritten in bulk"),
}


@pytest.mark.parametrize("kind", list(WRITES))
def test_every_write_shows_at_once_on_the_visitors_topic_page(app, client, world, kind):
    write, expected = WRITES[kind]
    _warm(client, _path(world))
    assert expected not in client.get(_path(world)).get_data(as_text=True)
    _write(app, lambda: write(world))
    assert expected in client.get(_path(world)).get_data(as_text=True)


BOARD_WRITES = {
    "new topic": (lambda w: services.create_topic(db.session.get(Category, 1), author=_user("bob"),
                                                  title="Roaming in France", body="Charged twice."), "Roaming in France"),
    "reply": (lambda w: services.reply_to_topic(db.session.get(Topic, w["topic"]), author=_user("ann"),
                                                body="Still broken."),
              '<span class="stat-n">2</span><span class="stat-unit"> replies'),
    "kudos on the question": (lambda w: helpdesk.give_kudos(db.session.get(Post, w["first"]), user=_user("bob")),
                              '<span class="stat-n">1</span><span class="stat-unit"> kudos'),
    "rename": (lambda w: setattr(_user("ann"), "display_name", "Ann Other"), "Ann Other"),
    "board renamed": (lambda w: setattr(db.session.get(Category, 1), "description", "Masts and signal"),
                      "Masts and signal"),
    "title": (lambda w: services.edit_topic_title(db.session.get(Topic, w["topic"]), editor=_user("ann"),
                                                  title="No 4G in Leeds city centre"), "No 4G in Leeds city centre"),
}


@pytest.mark.parametrize("kind", list(BOARD_WRITES))
def test_every_write_shows_at_once_on_the_visitors_board_page(app, client, world, kind):
    write, expected = BOARD_WRITES[kind]
    _warm(client, "/c/network")
    assert expected not in client.get("/c/network").get_data(as_text=True)
    _write(app, lambda: write(world))
    assert expected in client.get("/c/network").get_data(as_text=True)


def test_a_move_shows_on_both_boards_and_the_topic(app, client, world):
    _warm(client, _path(world), "/c/network", "/c/billing")
    _write(app, lambda: moderation.move_topic(db.session.get(Topic, world["topic"]), db.session.get(Category, 2),
                                              actor=_user("moira"), reason="Billing question"))
    assert "No 4G in Leeds" not in client.get("/c/network").get_data(as_text=True)
    assert "No 4G in Leeds" in client.get("/c/billing").get_data(as_text=True)
    assert "/c/billing" in client.get(_path(world)).get_data(as_text=True)


def test_a_merge_shows_in_the_target_and_redirects_the_source(app, client, world, build):
    with build() as b:
        into = b.topic(1, world["ann"], title="4G outage in Yorkshire", body="Masts down.")
        into_id, into_path = into.id, f"/t/{into.id}-{into.slug}"
    _warm(client, _path(world), into_path)
    _write(app, lambda: moderation.merge_topic(db.session.get(Topic, world["topic"]),
                                               db.session.get(Topic, into_id), actor=_user("moira"), reason="Same"))
    assert client.get(_path(world)).status_code == 301
    assert "Same in Hull." in client.get(into_path).get_data(as_text=True)


def test_view_counts_show_on_the_cached_pages(app, client, world):
    viewcounts.discard_pending()  # earlier tests' views
    _warm(client, _path(world), "/c/network")
    with app.app_context():
        viewcounts.flush_views(app)
    body = client.get(_path(world)).get_data(as_text=True)
    assert "1 reply · 1 view</p>" in body
    row = [r for r in page(client.get("/c/network")).find_all("tr", cls="topic-row")][0]
    assert row.find_all("td")[2].text.strip() == "1 view"


def test_relative_time_of_a_new_post_moves_on(app, client, world, build, monkeypatch):
    with build() as b:
        b.reply(world["topic"], world["ann"], body="Just now here.")
    assert "just now" in client.get(_path(world)).get_data(as_text=True)
    from forum import templating

    later = datetime.now(UTC) + timedelta(hours=3)
    real = templating.timesince
    monkeypatch.setattr(templating, "timesince", lambda value, now=None: real(value, later))
    assert "3 hours ago" in client.get(_path(world)).get_data(as_text=True)


def test_a_new_version_key_per_write_not_a_global_flush(app, client, world, build):
    """A reply in one topic leaves another topic's cached page as it was (one query)."""
    with build() as b:
        other = b.topic(1, world["bob"], title="Voicemail PIN", body="Forgot it.")
        other_id, other_path = other.id, f"/t/{other.id}-{other.slug}"
    _warm(client, other_path)
    _write(app, lambda: services.reply_to_topic(db.session.get(Topic, world["topic"]), author=_user("bob"),
                                                body="More here."))
    with app.app_context():
        versions = dict(db.session.execute(select(Topic.id, Topic.page_version)).all())
    assert versions[world["topic"]] > versions[other_id]


def test_the_visitors_home_is_the_fresh_render_and_a_hit_runs_no_query(app, client, world, monkeypatch, count_queries):
    cached = [client.get("/").get_data(as_text=True) for _ in range(2)]
    monkeypatch.setitem(app.config, "VISITOR_CACHE_SECONDS", 0)
    fresh = client.get("/").get_data(as_text=True)
    monkeypatch.setitem(app.config, "VISITOR_CACHE_SECONDS", 120)
    assert cached[0] == cached[1] == fresh
    assert "No 4G in Leeds" in fresh and "\x00" not in fresh
    counter = count_queries()
    with counter:
        resp = client.get("/")
    assert "Set-Cookie" not in resp.headers
    # The network status is rendered per request (one cached query at most); the lists are not queried.
    assert not any("FROM topics" in s or "FROM categories" in s for s in counter.statements), counter.statements


def test_a_new_topic_and_an_incident_show_at_once_on_the_visitors_home(app, client, world):
    _warm(client, "/")

    def write():
        board = db.session.scalar(select(Category).where(Category.slug == "network"))
        services.create_topic(board, author=_user("bob"), title="Voicemail not working", body="Since the update.")

    _write(app, write)
    assert "Voicemail not working" in client.get("/").get_data(as_text=True)
    from forum.incidents import services as incidents

    _write(app, lambda: incidents.open_incident(actor=_user("carol"), title="Outage in Leeds", tags="leeds",
                                                body="We are looking into it.", severity="major"))
    body = client.get("/").get_data(as_text=True)
    assert "Network status: 1 open incident" in body


def test_a_members_home_is_never_the_visitors_copy(app, client, world, signed_in):
    _warm(client, "/")
    signed_in()
    body = client.get("/").get_data(as_text=True)
    assert "Sign out" in body
