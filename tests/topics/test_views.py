"""Category and topic pages as a reader sees them: order, markers, nesting,
permalinks and pagination."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from forum.extensions import db
from forum.models import User
from forum.topics import services
from tests.topics.dom import page, post_ids


def _titles(doc):
    return [a.text for a in doc.find_all("a", cls="topic-title")]


def _rows(doc):
    return {
        row.find("a", cls="topic-title").text: row for row in doc.one("table", cls="topic-table").find_all("tr")[1:]
    }


# --- category page --------------------------------------------------------------------


def test_category_lists_pinned_first_then_by_last_activity(client, build, make_user, category, at):
    alice, bob = make_user("alice"), make_user("bob", role="staff")
    with build() as b:
        old = b.topic(category, alice, title="Old but pinned")
        b.set_activity(old, at(0))
        quiet = b.topic(category, alice, title="Quiet topic")
        b.set_activity(quiet, at(10))
        busy = b.topic(category, alice, title="Busy topic")
        b.set_activity(busy, at(5))
        b.reply(busy, bob)  # activity now: the newest of all
        fresh = b.topic(category, alice, title="Fresh topic")
        b.set_activity(fresh, at(20))
        services.set_pinned(old, True, actor=db.session.get(User, bob["id"]), reason="Popular question")
    doc = page(client.get(f"/c/{category['slug']}"))
    assert _titles(doc) == ["Old but pinned", "Busy topic", "Fresh topic", "Quiet topic"]
    rows = _rows(doc)
    assert "pinned" in rows["Old but pinned"].classes
    assert rows["Old but pinned"].find("span", cls="tag-pinned").text == "Pinned"
    assert all(rows[t].find("span", cls="tag-pinned") is None for t in ("Busy topic", "Fresh topic", "Quiet topic"))


def test_category_row_shows_replies_last_poster_time_and_unanswered(client, build, make_user, category):
    alice, bob = make_user("alice"), make_user("bob")
    with build() as b:
        answered = b.topic(category, alice, title="Answered topic")
        b.reply(answered, alice, body="one")
        b.reply(answered, alice, body="two")
        b.topic(category, alice, title="Nobody replied")
        last_at = b.reply(answered, bob, body="three").created_at
    rows = _rows(page(client.get(f"/c/{category['slug']}")))
    answered, unanswered = rows["Answered topic"], rows["Nobody replied"]
    cells = answered.find_all("td")
    assert cells[1].text.strip() == "3 replies"  # the word is hidden on wide screens, read aloud
    assert cells[1].find("span", cls="stat-n").text == "3"
    assert [c.text.strip() for c in cells[2:4]] == ["0 views", "0 kudos"]
    assert cells[4].text.split()[:2] == ["B", "bob"], "the last poster (avatar, name), not the author"
    assert cells[4].find("span", cls="avatar") is not None
    assert cells[0].find("span", cls="avatar").text == "A", "the asker's avatar"
    time = cells[4].find("time")
    assert time.get("datetime") == last_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert time.text == "just now"
    assert answered.find("span", cls="tag-unanswered") is None
    assert unanswered.find("span", cls="tag-unanswered").text == "Unanswered"
    assert unanswered.find_all("td")[1].text.strip() == "0 replies"
    assert "alice" in unanswered.find_all("td")[4].text
    assert "by alice" in answered.find_all("td")[0].text


def test_a_staff_started_topic_is_not_tagged_unanswered(client, build, make_user, category):
    """Announcements and staff-started topics are not help cases: no state, never "Unanswered"."""
    care = make_user("priya", role="staff")
    with build() as b:
        notice_id = b.topic(category, care, title="Planned maintenance tonight").id
    row = _rows(page(client.get(f"/c/{category['slug']}")))["Planned maintenance tonight"]
    assert row.find("span", cls="tag-unanswered") is None
    topic_page = page(client.get(f"/t/{notice_id}"))
    assert topic_page.find("span", cls="tag-unanswered") is None
    assert topic_page.find("span", cls="tag-state") is None


def test_empty_category_says_so(client, category):
    resp = client.get(f"/c/{category['slug']}")
    assert resp.status_code == 200
    assert "No topics here yet" in resp.get_data(as_text=True)


def test_category_paginates(client, build, make_user, category, at, app, monkeypatch):
    monkeypatch.setitem(app.config, "TOPICS_PER_PAGE", 4)
    alice = make_user("alice")
    with build() as b:
        for i in range(10):
            b.set_activity(b.topic(category, alice, title=f"Topic number {i:02}"), at(i))
    one = page(client.get(f"/c/{category['slug']}"))
    assert _titles(one) == ["Topic number 09", "Topic number 08", "Topic number 07", "Topic number 06"]
    assert one.one("nav", cls="pagination").find("a", cls=None).get("rel") == "next"
    three = client.get(f"/c/{category['slug']}?page=3")
    assert three.status_code == 200
    doc = page(three)
    assert _titles(doc) == ["Topic number 01", "Topic number 00"]
    nav = doc.one("nav", cls="pagination")
    assert "Page 3 of 3" in nav.text
    assert [a.get("rel") for a in nav.find_all("a")] == ["prev"]
    assert page(client.get(f"/c/{category['slug']}?page=2")).find("a", cls="topic-title").text == "Topic number 05"


@pytest.mark.parametrize(
    "arg", ["abc", "0", "-1", "4", "100000", "100001", "99999999999999999999", "1.5", "²", "%EF%BC%91", ""]
)
def test_category_bad_page_is_404(client, build, make_user, category, app, monkeypatch, arg):
    monkeypatch.setitem(app.config, "TOPICS_PER_PAGE", 4)
    alice = make_user("alice")
    with build() as b:
        for i in range(10):
            b.topic(category, alice, title=f"Topic number {i:02}")
    assert client.get(f"/c/{category['slug']}?page={arg}").status_code == 404


@pytest.mark.parametrize("path", ["/c/nope", "/c/nope?page=2", "/c/" + "x" * 500, "/c/%00", "/c/network%20"])
def test_unknown_category_is_404(client, category, path):
    assert client.get(path).status_code == 404


def test_home_lists_boards_and_latest_topics(client, build, make_user, category):
    alice = make_user("alice")
    with build() as b:
        b.topic(category, alice, title="Roaming in <France>")
    doc = page(client.get("/"))
    assert doc.find("a", cls="board-name").text == "Network & coverage"
    assert "1 topic" in doc.one("ul", cls="board-list").text
    assert [a.text for a in doc.one("ol", cls="topic-list").find_all("a")] == ["Roaming in <France>"]


# --- topic page -----------------------------------------------------------------------


def _chain(b, topic, authors, depth):
    """A thread: a top-level reply and ``depth`` nested replies, each answering the last."""
    posts = [b.reply(topic, authors[0], body="depth 0")]
    for d in range(1, depth + 1):
        posts.append(b.reply(topic, authors[d % len(authors)], body=f"depth {d}", parent=posts[-1]))
    return [p.id for p in posts]


def test_topic_page_nests_replies_and_flattens_deep_ones(client, build, make_user, category):
    users = [make_user(n) for n in ("ann", "ben", "cat", "dan")]
    with build() as b:
        topic = b.topic(category, users[0], title="Deep discussion", body="Opening **post**")
        first_id = b.first_post(topic).id
        chain = _chain(b, topic, users, depth=7)
        topic_path = f"/t/{topic.id}-{topic.slug}"
    resp = client.get(topic_path)
    assert resp.status_code == 200
    doc = page(resp)
    assert doc.one("h1").text == "Deep discussion"
    assert post_ids(doc) == [first_id, *chain]
    first = doc.one("article", id=f"p{first_id}")
    assert {"post", "post-first", "depth-0"} <= first.classes
    assert first.one("div", cls="post-body").find("strong").text == "post"
    for depth, post_id in enumerate(chain):
        article = doc.one("article", id=f"p{post_id}")
        assert f"depth-{min(depth, 4)}" in article.classes
        assert not {c for c in article.classes if c.startswith("depth-")} - {f"depth-{min(depth, 4)}"}
        assert article.one("div", cls="post-body").text.strip() == f"depth {depth}"
        in_reply = article.find("span", cls="in-reply-to")
        if depth <= 4:
            assert in_reply is None
        else:
            parent_author = users[(depth - 1) % len(users)]["username"]
            assert " ".join(in_reply.text.split()) == f"in reply to @{parent_author}"
            assert in_reply.one("a").get("href") == f"#p{chain[depth - 1]}"


def test_every_post_has_a_permalink_that_lands_on_it(client, build, make_user, category):
    alice, bob = make_user("alice"), make_user("bob")
    with build() as b:
        topic = b.topic(category, alice, title="Permalinks")
        first_id = b.first_post(topic).id
        chain = _chain(b, topic, [alice, bob], depth=6)
        topic_path = f"/t/{topic.id}-{topic.slug}"
    doc = page(client.get(topic_path))
    for post_id in [first_id, *chain]:
        link = doc.one("article", id=f"p{post_id}").one("a", cls="permalink")
        assert link.get("href") == f"/p/{post_id}"
        assert link.find("time").get("datetime").endswith("Z")
        resp = client.get(link.get("href"))
        assert resp.status_code == 302
        assert resp.location == f"{topic_path}#p{post_id}"


def test_topic_page_without_replies(client, build, make_user, category):
    alice = make_user("alice")
    with build() as b:
        topic = b.topic(category, alice, title="Lonely question")
        path = f"/t/{topic.id}"
    doc = page(client.get(path))
    assert len(post_ids(doc)) == 1
    assert "0 replies" in doc.one("p", cls="muted").text
    assert doc.find("nav", cls="pagination") is None
    assert client.get(path + "?page=2").status_code == 404


def test_topic_url_with_any_slug_shows_the_topic(client, build, make_user, category):
    alice = make_user("alice")
    with build() as b:
        topic = b.topic(category, alice, title="Right title")
        tid = topic.id
    for path in (f"/t/{tid}", f"/t/{tid}-right-title", f"/t/{tid}-stale-slug"):
        assert page(client.get(path)).one("h1").text == "Right title"


@pytest.mark.parametrize(
    "path",
    [
        "/t/999",
        "/t/999-slug",
        "/p/999",
        "/t/999/reply",
        "/t/abc",
        "/t/-1",
        "/t/99999999999999999999",
        "/t/2147483648",
        "/p/2147483648",
        "/p/99999999999999999999",
        "/t/{tid}?page=2",
        "/t/{tid}?page=abc",
        "/t/{tid}?page=0",
        "/t/{tid}-slug?page=%C2%B2",
        "/t/{tid}?page=-1",
    ],
)
def test_missing_topics_and_posts_are_404(client, build, make_user, category, path):
    alice = make_user("alice")
    with build() as b:
        tid = b.topic(category, alice).id
    assert client.get(f"/t/{tid}").status_code == 200
    assert client.get(path.format(tid=tid)).status_code == 404


# --- a long topic ---------------------------------------------------------------------


def test_long_topic_paginates_by_thread_and_permalinks_find_every_post(client, app, build, make_user, category):
    """45 threads, 200+ posts: pages hold 20 whole threads, replies depth-first."""
    users = [make_user(n) for n in ("ann", "ben", "cat")]
    expected: list[list[int]] = []  # per thread, post ids in page order
    with build() as b:
        topic = b.topic(category, users[0], title="Network outage megathread")
        first_id = b.first_post(topic).id
        for t in range(45):
            root = b.reply(topic, users[t % 3], body=f"thread {t}")
            order = [root.id]
            if t % 3 == 0:
                # Two branches: the second reply to the root comes after the first's subtree.
                a = b.reply(topic, users[1], body="a", parent=root)
                c = b.reply(topic, users[2], body="c", parent=root)
                a1 = b.reply(topic, users[0], body="a1", parent=a)
                c1 = b.reply(topic, users[0], body="c1", parent=c)
                a2 = b.reply(topic, users[1], body="a2", parent=a)
                order += [a.id, a1.id, a2.id, c.id, c1.id]
            if t == 27:
                deep = root
                for d in range(12):
                    deep = b.reply(topic, users[d % 3], body=f"deep {d}", parent=deep)
                    order.append(deep.id)
                deep_id = deep.id
            for _ in range(t % 5):
                order.append(b.reply(topic, users[2], body="flat", parent=root).id)
            expected.append(order)
        topic_path = f"/t/{topic.id}-{topic.slug}"
        total_posts = 1 + sum(map(len, expected))
        reply_count = topic.reply_count
    assert len(expected) == 45
    assert total_posts > 200
    assert reply_count == total_posts - 1

    per_page = app.config["THREADS_PER_PAGE"]
    seen: list[int] = []
    for n in (1, 2, 3):
        resp = client.get(f"{topic_path}?page={n}")
        assert resp.status_code == 200
        doc = page(resp)
        threads = expected[(n - 1) * per_page : n * per_page]
        want = [first_id] * (n == 1) + [pid for thread in threads for pid in thread]
        assert post_ids(doc) == want
        assert f"Page {n} of 3" in doc.one("nav", cls="pagination").text
        seen += post_ids(doc)
    assert sorted(seen) == sorted({first_id, *(p for t in expected for p in t)})
    assert client.get(f"{topic_path}?page=4").status_code == 404

    # The deep reply in thread 28 (index 27) is on page 2.
    resp = client.get(f"/p/{deep_id}")
    target = urlsplit(resp.location)
    assert (target.path, parse_qs(target.query), target.fragment) == (topic_path, {"page": ["2"]}, f"p{deep_id}")
    doc = page(client.get(resp.location))
    article = doc.one("article", id=f"p{deep_id}")
    assert "depth-4" in article.classes
    assert article.find("span", cls="in-reply-to")

    # Every post's permalink points at the page that shows it.
    for index, thread in enumerate(expected):
        for post_id in (thread[0], thread[-1]):
            location = client.get(f"/p/{post_id}").location
            n = index // per_page + 1
            assert location == (f"{topic_path}#p{post_id}" if n == 1 else f"{topic_path}?page={n}#p{post_id}")
