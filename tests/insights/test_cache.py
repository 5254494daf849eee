"""The dashboard's history blocks come from the cache until a write to their tables
(forum/insights/cache.py): the same page, fewer queries, and never older than the rows."""

from __future__ import annotations

import re

from forum.extensions import db
from forum.models import Flag, InsightDaily, InsightTopicFact, Post, Topic, User
from tests.insights.conftest import NOW, t

URL = "/staff/insights"


def _blocks(page: str) -> str:
    """The page without what differs between two renders of the same figures."""
    return re.sub(r'name="csrf_token"[^>]*>', "", page)


def test_warm_page_is_the_same_with_fewer_queries(client, auth, people, forum, count_queries):
    assert auth.login("boss").status_code == 302
    with count_queries() as cold:
        first = client.get(URL).get_data(as_text=True)
    with count_queries() as warm:
        second = client.get(URL).get_data(as_text=True)
    assert _blocks(first) == _blocks(second)
    assert warm.count <= cold.count - 10, (cold.count, warm.statements)
    assert not any("insight_topic_facts.asked_at >=" in s for s in warm.statements)
    # another period or board is another entry
    assert "Billing" in client.get(f"{URL}?board={forum['b']}").get_data(as_text=True)


def test_a_write_to_the_rows_shows_at_once(app, client, auth, people, forum):
    assert auth.login("boss").status_code == 302
    page = client.get(URL).get_data(as_text=True)
    assert "Yes: 1 · No: 1 (n = 2)." in page
    assert "3 questions waiting" in page
    assert "2026-03-10,1,2 h 00 min" in client.get(f"{URL}/moderation.csv").get_data(as_text=True)
    with app.app_context():
        fact = db.session.get(InsightTopicFact, forum["t6"])
        fact.satisfaction, fact.satisfaction_at = "yes", t(3, 20, 11)  # as a refresh after a Yes stores it
        db.session.add(InsightDaily(day=NOW.date(), category_id=forum["a"], metric="term", key="zzcachedterm",
                                    value=99))
        # live parts: a new waiting question, a renamed agent
        db.session.get(Topic, forum["t6"]).state = "waiting"
        db.session.get(Topic, forum["t6"]).waiting_since = t(3, 20, 11)
        db.session.get(User, people["care"]["id"]).username = "care_renamed"
        post = db.session.scalar(db.select(Post.id).where(Post.topic_id == forum["t1"]).order_by(Post.id))
        db.session.add(Flag(post_id=post, user_id=people["bob"]["id"], reason="spam", created_at=t(3, 10, 9),
                            resolved_at=t(3, 10, 9, 30), resolution="dismissed"))
        db.session.commit()
    page = client.get(URL).get_data(as_text=True)
    assert "Yes: 2 · No: 1 (n = 3)." in page
    assert "zzcachedterm" in page
    assert "4 questions waiting" in page
    assert "care_renamed" in page
    assert "2026-03-10,2,1 h 15 min" in client.get(f"{URL}/moderation.csv").get_data(as_text=True)


def test_a_topic_moved_to_another_board_moves_its_moderation(app, client, auth, people, forum):
    assert auth.login("boss").status_code == 302
    board_b = f"{URL}/moderation.csv?board={forum['b']}"
    assert "2026-03-10,0" in client.get(board_b).get_data(as_text=True)
    with app.app_context():
        db.session.get(Topic, forum["t1"]).category_id = forum["b"]
        db.session.commit()
    assert "2026-03-10,1,2 h 00 min" in client.get(board_b).get_data(as_text=True)


def test_a_rolled_back_write_keeps_the_cache(app, client, auth, people, forum, count_queries):
    assert auth.login("boss").status_code == 302
    client.get(URL)
    with app.app_context():
        db.session.get(InsightTopicFact, forum["t6"]).satisfaction = "no"
        db.session.flush()
        db.session.rollback()
    with count_queries() as warm:
        client.get(URL)
    assert not any("insight_topic_facts.asked_at >=" in s for s in warm.statements)
