"""Issue 16: a deep board page and a topic's late page list the same things as before,
with the queries of page 1, read from indexes that cover what they skip."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from forum.extensions import db
from forum.models import Topic
from tests.topics.conftest import T0
from tests.topics.dom import page


@pytest.fixture
def board(build, make_user, category):
    """35 topics at distinct times, one pinned, two merged into others."""
    ann, ben = make_user("ann"), make_user("ben")
    with build() as b:
        topics = [b.topic(category, (ann, ben)[i % 2], title=f"Topic number {i:02d}") for i in range(35)]
        for i, t in enumerate(topics):
            b.set_activity(t, T0 + timedelta(minutes=(i * 7) % 35))  # activity order differs from id order
        topics[3].is_pinned = True
        topics[10].merged_into_id = topics[11].id
        topics[20].merged_into_id = topics[21].id
        db.session.flush()
    return category


def _titles(client, path: str) -> list[str]:
    resp = client.get(path)
    assert resp.status_code == 200
    return [a.text.strip() for a in page(resp).find_all("a", cls="topic-title")]


def test_every_board_page_lists_the_live_topics_in_order(app, client, count_queries, board, monkeypatch):
    monkeypatch.setitem(app.config, "TOPICS_PER_PAGE", 6)
    with app.app_context():
        expected = list(db.session.scalars(
            select(Topic.title).where(Topic.merged_into_id.is_(None))
            .order_by(Topic.is_pinned.desc(), Topic.last_post_at.desc(), Topic.id.desc())
        ))
    assert len(expected) == 33
    assert expected[0] == "Topic number 03"
    shown = [title for n in range(1, 7) for title in _titles(client, f"/c/{board['slug']}?page={n}")]
    assert shown == expected
    counts = []
    for n in (1, 6):
        counter = count_queries()
        with counter:
            client.get(f"/c/{board['slug']}?page={n}")
        counts.append(counter.count)
    assert counts[0] == counts[1]
    # The status filters take the same path.
    assert _titles(client, f"/c/{board['slug']}?status=unanswered&page=2") == expected[6:12]


def _plan(sql: str, params: dict) -> str:
    return " | ".join(row[-1] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql), params))


def test_skipped_rows_are_read_from_covering_indexes(app, board, build, make_user):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's plan wording")
        plan = _plan(
            "SELECT id FROM topics WHERE category_id = :c AND merged_into_id IS NULL "
            "ORDER BY is_pinned DESC, last_post_at DESC, id DESC LIMIT 25 OFFSET 1000", {"c": board["id"]})
        assert "COVERING INDEX ix_topics_category_page" in plan, plan
        plan = _plan(
            "SELECT id FROM posts WHERE topic_id = :t AND parent_id IS NULL AND is_first = 0 "
            "ORDER BY id LIMIT 20 OFFSET 400", {"t": 1})
        assert "COVERING INDEX ix_posts_topic_threads" in plan, plan


def test_a_topics_last_page_shows_its_last_threads(app, client, build, make_user, category, count_queries, monkeypatch):
    monkeypatch.setitem(app.config, "THREADS_PER_PAGE", 5)
    ann = make_user("ann")
    with build() as b:
        topic = b.topic(category, ann, title="Many threads here")
        roots = [b.reply(topic, ann, body=f"Thread {i}") for i in range(12)]
        b.reply(topic, ann, body="Answer to thread 11", parent=roots[11])
        path = f"/t/{topic.id}-{topic.slug}"
    bodies = [b.text.strip() for b in page(client.get(path + "?page=3")).one("section", cls="thread").find_all(cls="post-body")]
    assert bodies == ["Thread 10", "Thread 11", "Answer to thread 11"]
    assert client.get(path + "?page=4").status_code == 404
    monkeypatch.setitem(app.config, "VISITOR_CACHE_SECONDS", 0)  # the render's own queries, not the cache's
    counts = []
    for n in (2, 3):
        counter = count_queries()
        with counter:
            client.get(f"{path}?page={n}")
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_signed_in_home_reads_the_session_and_both_header_counts_only(app, client, signed_in, build, make_user,
                                                                      category, count_queries):
    ann = make_user("ann")
    with build() as b:
        b.topic(category, ann, title="A topic on the home page")
    signed_in("member")
    client.get("/")  # warm: the lists are cached, the session's last use recorded
    counter = count_queries()
    with counter:
        resp = client.get("/")
    assert resp.status_code == 200
    assert "A topic on the home page" in resp.get_data(as_text=True)
    # One query: the signed-in session with its user, both header badges and the reads
    # version; the boards' "new since your last visit" and the list's read marks come
    # from the member's cache (forum.listcache.cached_for_member) while nothing changed.
    assert counter.count == 1, counter.statements
    assert "notifications" in counter.statements[0]
    assert "topic_reads" in counter.statements[0]
