"""Topic and category pages run a fixed number of SQL queries, whatever their size."""

from __future__ import annotations

import pytest

from tests.conftest import AuthActions
from tests.topics.dom import page, post_ids


def _fill_topic(b, topic, users, replies: int) -> None:
    """``replies`` posts: top-level threads with nested and very deep replies."""
    made: list = []
    while len(made) < replies:
        i = len(made)
        parent = None
        if made and i % 3:
            parent = made[-1] if i % 7 else made[i // 2]
        made.append(
            b.reply(
                topic, users[i % len(users)], body=f"Reply {i} with a [link](https://example.com/{i})", parent=parent
            )
        )


@pytest.fixture
def two_topics(build, make_user, category):
    users = [make_user(n, role=r) for n, r in (("ann", "member"), ("ben", "staff"), ("cat", "moderator"))]
    with build() as b:
        small = b.topic(category, users[0], title="Small topic")
        _fill_topic(b, small, users, 9)
        big = b.topic(category, users[1], title="Big topic")
        _fill_topic(b, big, users, 199)
        return f"/t/{small.id}-{small.slug}", f"/t/{big.id}-{big.slug}"


def _count(client, count_queries, path) -> tuple[int, list[str]]:
    client.get(path)  # warm up: first-request work must not skew the count
    counter = count_queries()
    with counter:
        resp = client.get(path)
    assert resp.status_code == 200
    return counter.count, counter.statements


def test_topic_page_queries_do_not_grow_with_posts(app, count_queries, make_user, two_topics):
    small, big = two_topics
    for viewer in ("anonymous", "member", "staff"):
        client = app.test_client()
        if viewer != "anonymous":
            user = make_user(f"viewer-{viewer}", role=viewer)
            assert AuthActions(client).login(user["username"]).status_code == 302
        assert len(post_ids(page(client.get(small)))) == 10
        big_page = page(client.get(big))
        assert len(post_ids(big_page)) > 20
        assert big_page.find("nav", cls="pagination")
        n_small, small_sql = _count(client, count_queries, small)
        n_big, big_sql = _count(client, count_queries, big)
        assert n_small == n_big, "\n".join([viewer, "small:", *small_sql, "big:", *big_sql])
        # 4 for the page, the signed-in user, the header's two unread counts
        # (notifications, messages), the viewer's kudos and subscription, and the
        # authors' ranks (one batched query, forum.people.ranks); staff also read the
        # topic's internal notes (tests/helpdesk/test_staff_tools_queries.py);
        # signed-in viewers also read their position in the topic (forum.topics.reading).
        assert n_big <= {"anonymous": 9, "member": 10, "staff": 11}[viewer], big_sql
        n_page2, page2_sql = _count(client, count_queries, big + "?page=2")
        # A member's read marks come from their cache (forum.listcache.cached_for_member)
        # unless their reads version moved since: then one query more, never more.
        assert n_big <= n_page2 <= n_big + (viewer != "anonymous"), page2_sql


def test_permalink_runs_a_fixed_number_of_queries(client, count_queries, app, two_topics):
    from forum.extensions import db
    from forum.models import Post

    with app.app_context():
        # A top-level reply of the small topic and the last (nested) reply of the big one.
        ids = [
            db.session.query(Post.id).filter(Post.is_first.is_(False)).order_by(Post.id).first()[0],
            db.session.query(Post.id).order_by(Post.id.desc()).first()[0],
        ]
    counts = set()
    for post_id in ids:
        counter = count_queries()
        with counter:
            assert client.get(f"/p/{post_id}").status_code == 302
        counts.add(counter.count)
    assert len(counts) == 1
    assert counts.pop() <= 4


@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_category_page_queries_do_not_grow_with_topics(
    client, app, count_queries, signed_in, build, make_user, make_category, monkeypatch, viewer
):
    monkeypatch.setitem(app.config, "TOPICS_PER_PAGE", 100)
    if viewer != "anonymous":
        signed_in(viewer)
    users = [make_user(n) for n in ("ann", "ben", "cat", "dan")]
    few, many = make_category("Few", "few", ""), make_category("Many", "many", "")
    with build() as b:
        for i in range(5):
            b.reply(b.topic(few, users[i % 4], title=f"Few topic {i}"), users[(i + 1) % 4])
        for i in range(60):
            t = b.topic(many, users[i % 4], title=f"Many topic {i}")
            if i % 2:
                b.reply(t, users[(i + 1) % 4])
    n_few, few_sql = _count(client, count_queries, "/c/few")
    n_many, many_sql = _count(client, count_queries, "/c/many")
    assert len(page(client.get("/c/many")).find_all("a", cls="topic-title")) == 60
    assert n_few == n_many, "\n".join(["few:", *few_sql, "many:", *many_sql])
    # The page's topics' kudos (forum.topics.listing); +1 for a signed-in viewer: the
    # header's Messages unread count, +1 their read marks (forum.topics.reading).
    budget = 5 if viewer == "anonymous" else 7
    assert n_many <= budget, many_sql
    n_home_few, _ = _count(client, count_queries, "/")
    # the home page's popular solved topics (one query) and, for members, the boards'
    # "new since your last visit" (one query)
    assert n_home_few <= budget + 1 + (viewer != "anonymous")
