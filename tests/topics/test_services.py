"""Topic services without HTTP: what they store and what they refuse."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Category, Post, Topic, User
from forum.topics import services
from tests.topics.conftest import ROLES, STAFF_ROLES


@pytest.fixture
def ids(make_user, make_category):
    return {
        "alice": make_user("alice")["id"],
        "bob": make_user("bob")["id"],
        "cat": make_category()["id"],
    }


@pytest.fixture
def s(app_ctx, ids):
    """Models loaded in the test's app context."""

    class _S:
        alice = db.session.get(User, ids["alice"])
        bob = db.session.get(User, ids["bob"])
        cat = db.session.get(Category, ids["cat"])

    return _S


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _topic(s, title="No 4G indoors in Leeds", body="Since **Tuesday**."):
    topic = services.create_topic(s.cat, author=s.alice, title=title, body=body)
    db.session.commit()
    return topic


# --- create_topic ---------------------------------------------------------------------


def test_create_topic_stores_topic_and_opening_post(s):
    topic = _topic(s, title="  No   4G\tindoors \n in Leeds  ")
    db.session.expire_all()
    topic = db.session.get(Topic, topic.id)
    assert topic.title == "No 4G indoors in Leeds"
    assert topic.slug == "no-4g-indoors-in-leeds"
    assert topic.category_id == s.cat.id
    assert topic.author_id == s.alice.id
    assert topic.reply_count == 0
    assert topic.is_unanswered
    assert not topic.is_pinned
    assert topic.last_poster_id == s.alice.id
    assert topic.last_post_at == topic.created_at
    [post] = db.session.scalars(select(Post).where(Post.topic_id == topic.id)).all()
    assert post.is_first
    assert post.author_id == s.alice.id
    assert post.parent_id is None
    assert post.thread_root_id is None
    assert post.depth == 0
    assert post.body == "Since **Tuesday**."
    assert post.body_html == "<p>Since <strong>Tuesday</strong>.</p>\n"


@pytest.mark.parametrize(
    "title",
    ["abcde", "x" * 150, "  a b  c  ", "a" + " " * 300 + "bcd", "  " + "y" * 150 + "\n", "Ünïcødé ✓"],
    ids=["min", "max", "collapses-to-5", "long-whitespace-collapses", "padded-max", "unicode"],
)
def test_titles_within_limits_after_collapse_are_accepted(s, title):
    topic = _topic(s, title=title)
    assert topic.title == " ".join(title.split())
    assert 5 <= len(topic.title) <= 150


@pytest.mark.parametrize(
    "title",
    ["abcd", "", "     ", "a    bc", "x" * 151, " ".join(["ab"] * 51), None],
    ids=["4-chars", "empty", "blank", "collapses-to-4", "151", "collapses-to-152", "none"],
)
def test_titles_outside_limits_are_refused_and_nothing_is_stored(s, title):
    with pytest.raises(services.TopicError, match="Titles are 5 to 150 characters long") as exc:
        services.create_topic(s.cat, author=s.alice, title=title, body="Body")
    assert exc.value.field == "title"
    db.session.rollback()
    assert _count(Topic) == 0
    assert _count(Post) == 0


def test_body_limits(s):
    assert _topic(s, body="x").id
    assert _topic(s, body="y" * 20_000).id
    # A browser sends CRLF newlines; each counts as one character, as stored.
    crlf = services.create_topic(s.cat, author=s.alice, title="CRLF body", body="z\r\n" * 10_000)
    db.session.commit()
    assert db.session.scalar(select(Post.body).where(Post.topic_id == crlf.id)) == "z\n" * 10_000


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "cannot be empty"),
        (" \n\t \r\n", "cannot be empty"),
        (None, "cannot be empty"),
        ("x" * 20_001, "at most 20,000 characters"),
        ("nul \x00 inside", "NUL character"),
    ],
    ids=["empty", "blank", "none", "20001", "nul"],
)
def test_bad_bodies_are_refused_and_nothing_is_stored(s, body, message):
    with pytest.raises(services.TopicError, match=message) as exc:
        services.create_topic(s.cat, author=s.alice, title="Valid title", body=body)
    assert exc.value.field == "body"
    topic = _topic(s)
    with pytest.raises(services.TopicError, match=message):
        services.reply_to_topic(topic, author=s.bob, body=body)
    db.session.rollback()
    assert _count(Topic) == 1
    assert _count(Post) == 1
    assert db.session.get(Topic, topic.id).reply_count == 0


def test_nul_in_title_is_refused(s):
    with pytest.raises(services.TopicError, match="NUL character"):
        services.create_topic(s.cat, author=s.alice, title="Bad \x00 title", body="Body")


def test_unverified_users_cannot_start_or_reply(s, make_user):
    carol = db.session.get(User, make_user("carol", verified=False)["id"])
    with pytest.raises(services.PermissionDenied):
        services.create_topic(s.cat, author=carol, title="Unverified topic", body="Body")
    topic = _topic(s)
    with pytest.raises(services.PermissionDenied):
        services.reply_to_topic(topic, author=carol, body="Reply")
    db.session.rollback()
    assert _count(Topic) == 1
    assert _count(Post) == 1


# --- reply_to_topic -------------------------------------------------------------------


def test_reply_threading_depth_and_thread_root(s):
    topic = _topic(s)
    first = db.session.scalar(select(Post).where(Post.topic_id == topic.id, Post.is_first))
    top = services.reply_to_topic(topic, author=s.bob, body="Top-level")
    to_first = services.reply_to_topic(topic, author=s.bob, body="Answering the question", parent=first)
    child = services.reply_to_topic(topic, author=s.alice, body="Child", parent=top)
    grandchild = services.reply_to_topic(topic, author=s.bob, body="Grandchild", parent=child)
    deep = grandchild
    for _ in range(5):
        deep = services.reply_to_topic(topic, author=s.alice, body="deeper", parent=deep)
    db.session.commit()
    db.session.expire_all()

    def row(post):
        p = db.session.get(Post, post.id)
        return (p.parent_id, p.depth, p.thread_root_id, p.is_first)

    assert row(top) == (None, 0, None, False)
    assert row(to_first) == (None, 0, None, False), "a reply to the opening post is top-level"
    assert row(child) == (top.id, 1, top.id, False)
    assert row(grandchild) == (child.id, 2, top.id, False)
    assert row(deep)[1:3] == (7, top.id), "depth is not capped in storage"


def test_reply_updates_topic_counters_and_last_poster(s):
    topic = _topic(s)
    opened = topic.last_post_at
    r1 = services.reply_to_topic(topic, author=s.bob, body="One")
    db.session.commit()
    db.session.expire_all()
    t = db.session.get(Topic, topic.id)
    assert (t.reply_count, t.last_poster_id, t.is_unanswered) == (1, s.bob.id, False)
    assert t.last_post_at == db.session.get(Post, r1.id).created_at >= opened
    r2 = services.reply_to_topic(t, author=s.alice, body="Two", parent=r1)
    db.session.commit()
    db.session.expire_all()
    t = db.session.get(Topic, topic.id)
    assert (t.reply_count, t.last_poster_id) == (2, s.alice.id)
    assert t.last_post_at == db.session.get(Post, r2.id).created_at
    assert t.created_at == opened, "replies do not move the topic's creation time"


def test_reply_stores_rendered_html(s):
    topic = _topic(s)
    post = services.reply_to_topic(topic, author=s.bob, body="Try *airplane mode*\r\nthen <b>restart</b>")
    db.session.commit()
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    assert post.body == "Try *airplane mode*\nthen <b>restart</b>"
    assert post.body_html == "<p>Try <em>airplane mode</em>\nthen &lt;b&gt;restart&lt;/b&gt;</p>\n"


def test_parent_from_another_topic_is_refused(s):
    one = _topic(s, title="First topic")
    two = _topic(s, title="Second topic")
    foreign = services.reply_to_topic(two, author=s.bob, body="In topic two")
    db.session.commit()
    with pytest.raises(services.TopicError, match="another topic"):
        services.reply_to_topic(one, author=s.bob, body="Misplaced", parent=foreign)
    db.session.rollback()
    assert db.session.get(Topic, one.id).reply_count == 0
    assert db.session.scalar(select(func.count()).select_from(Post).where(Post.topic_id == one.id)) == 1


# --- set_pinned -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_staff_roles_can_pin(s, make_user, role):
    actor = db.session.get(User, make_user(f"{role}1", role=role)["id"])
    topic = _topic(s)
    if role not in STAFF_ROLES:
        with pytest.raises(services.PermissionDenied, match="Only staff"):
            services.set_pinned(topic, True, actor=actor, reason="Useful for many")
        db.session.rollback()
        assert db.session.get(Topic, topic.id).is_pinned is False
        return
    assert services.set_pinned(topic, True, actor=actor, reason="Useful for many") is True
    db.session.commit()
    assert services.set_pinned(topic, True, actor=actor, reason="Useful for many") is False, "pinning twice changes nothing"
    db.session.expire_all()
    assert db.session.get(Topic, topic.id).is_pinned is True
    assert services.set_pinned(db.session.get(Topic, topic.id), False, actor=actor, reason="Fixed now") is True
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Topic, topic.id).is_pinned is False
