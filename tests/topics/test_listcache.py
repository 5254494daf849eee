"""The home page's cached lists (forum/listcache.py): no queries while nothing changed,
and every write that changes them shows on the next view."""

from __future__ import annotations

from sqlalchemy import update

from forum.extensions import db
from forum.listcache import snapshot
from forum.models import Category, Topic, User
from tests.topics.dom import page


def _recent(client) -> list[str]:
    return [a.text.strip() for a in page(client.get("/")).one("ol", cls="topic-list").find_all("a")]


def _boards(client) -> list[str]:
    return [li.text.split("\n")[1].strip() + " " + li.one("span").text for li in
            page(client.get("/")).one("ul", cls="board-list").find_all("li")]


def test_home_is_read_from_the_cache_until_a_write(app, client, build, make_user, category, count_queries):
    ann = make_user("ann")
    with build() as b:
        b.topic(category, ann, title="First topic here")
    assert _recent(client) == ["First topic here"]
    counter = count_queries()
    with counter:
        assert client.get("/").status_code == 200
    assert counter.count == 0, counter.statements
    with build() as b:  # a new topic, through the service
        b.topic(category, ann, title="Second topic here")
    assert _recent(client) == ["Second topic here", "First topic here"]
    assert "2 topics" in " ".join(_boards(client))


def test_bulk_updates_and_renames_refresh_the_lists(app, client, build, make_user, category):
    ann = make_user("ann")
    with build() as b:
        topic_id = b.topic(category, ann, title="Old title of topic").id
    assert _recent(client) == ["Old title of topic"]
    with app.app_context():  # an ORM update() statement, not the unit of work
        db.session.execute(update(Topic).where(Topic.id == topic_id).values(reply_count=5))
        db.session.commit()
    assert "5 replies" in page(client.get("/")).one("ol", cls="topic-list").text
    with app.app_context():
        db.session.get(Category, category["id"]).name = "Renamed board"
        db.session.commit()
    assert any(b.startswith("Renamed board") for b in _boards(client))


def test_a_rolled_back_write_keeps_the_cache(app, client, build, make_user, category, count_queries):
    ann = make_user("ann")
    with build() as b:
        b.topic(category, ann, title="Kept topic here")
    _recent(client)
    with app.app_context():
        db.session.get(Category, category["id"]).name = "Never saved"
        db.session.flush()
        db.session.rollback()
    counter = count_queries()
    with counter:
        client.get("/")
    assert counter.count == 0


def test_snapshot_reads_like_the_row(app, make_user, build, category):
    ann = make_user("ann", role="staff")
    with build() as b:
        topic = b.topic(category, ann, title="Snapshot of a topic")
        copy = snapshot(topic)
        author = snapshot(db.session.get(User, ann["id"]))
        assert (copy.id, copy.title, copy.slug, copy.is_unanswered) == (topic.id, topic.title, topic.slug, True)
        assert (author.shown_name, author.is_staff, author.badge_label) == ("ann", True, topic.author.badge_label)
