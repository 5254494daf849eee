"""The edit page of a post (and of its topic's title): forum.topics.edit, for the author
and for moderators, with the personal-data guard and the flags it closes."""

from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Flag, ModerationLogEntry, Post, PostRevision, Topic, TopicRevision, User
from forum.moderation import services as mod
from forum.topics import services
from tests.topics.dom import page

VIEWERS = ("anonymous", "member", "author", "moderator", "staff", "admin")
OK, LOGIN, FORBIDDEN = 200, 302, 403


@pytest.fixture
def scene(make_user, build, category):
    """alice (member) wrote a topic and a reply; bob and dina are members."""
    users = {
        "author": make_user("alice"),
        "member": make_user("bob"),
        "moderator": make_user("mona", role="moderator"),
        "staff": make_user("carl", role="staff"),
        "admin": make_user("ada", role="admin"),
        "member2": make_user("dina"),
    }
    with build() as b:
        topic = b.topic(category, users["author"], title="No 4G indoors in Leeds", body="Since Tuesday, no signal.")
        reply = b.reply(topic, users["author"], body="My number is 07700 900123, call me.")
        ids = {"topic": topic.id, "first": b.first_post(topic).id, "reply": reply.id}
    return {"users": users, **ids}


@pytest.fixture
def as_viewer(auth):
    def _as(scene, viewer: str):
        if viewer != "anonymous":
            assert auth.login(scene["users"][viewer]["username"]).status_code == 302
    return _as


def _user(scene, who) -> User:
    return db.session.get(User, scene["users"][who]["id"])


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def _flag(app, scene, post_key, *who, reason="personal_data"):
    with app.app_context():
        for w in who:
            mod.flag_post(db.session.get(Post, scene[post_key]), user=_user(scene, w), reason=reason)
        db.session.commit()


def _open_flags(post_id) -> int:
    return db.session.scalar(select(func.count(Flag.id)).where(Flag.post_id == post_id, Flag.resolved_at.is_(None)))


def _edit_data(body, **extra):
    return {"body": body, "base_revision": "0", "base_title_revision": "0", **extra}


# --- where the page lives ------------------------------------------------------------------


def test_the_edit_page_is_the_topics_features(app, client, scene, as_viewer):
    with app.test_request_context():
        assert url_for("topics.edit_post", post_id=scene["reply"]) == f"/p/{scene['reply']}/edit"
    assert app.view_functions["topics.edit_post"].__module__ == "forum.topics.edit"
    assert "moderation.edit_post" not in app.view_functions
    as_viewer(scene, "author")
    doc = page(client.get(f"/t/{scene['topic']}"))
    links = [a.get("href") for a in doc.one("article", id=f"p{scene['reply']}").find_all("a")]
    assert f"/p/{scene['reply']}/edit" in links
    form = page(client.get(f"/p/{scene['reply']}/edit")).one("form", cls="stacked")
    assert form.get("action") == f"/p/{scene['reply']}/edit"


@pytest.mark.parametrize("viewer", VIEWERS)
def test_edit_page_matrix(client, scene, as_viewer, viewer):
    as_viewer(scene, viewer)
    resp = client.get(f"/p/{scene['reply']}/edit")
    expected = dict(anonymous=LOGIN, member=FORBIDDEN, author=OK, moderator=OK, staff=FORBIDDEN, admin=OK)[viewer]
    assert resp.status_code == expected
    if expected == LOGIN:
        assert "/login" in resp.headers["Location"]


def test_suspended_author_is_told_why(app, client, scene, as_viewer):
    with app.app_context():
        mod.suspend_user(_user(scene, "author"), actor=_user(scene, "moderator"), reason="Abusive replies", days=7)
        db.session.commit()
    as_viewer(scene, "author")
    resp = client.get(f"/p/{scene['reply']}/edit")
    assert resp.status_code == 403
    assert "Abusive replies" in resp.get_data(as_text=True)


# --- the author's edit and a moderator's ------------------------------------------------------


def test_author_edits_text_and_title(app, client, scene, as_viewer, post_form):
    as_viewer(scene, "author")
    resp = post_form(f"/p/{scene['first']}/edit", _edit_data("Since Tuesday, no signal at all.",
                                                              title="No 4G indoors in Leeds LS1"))
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/p/{scene['first']}")
    with app.app_context():
        assert db.session.get(Topic, scene["topic"]).title == "No 4G indoors in Leeds LS1"
        assert db.session.get(Post, scene["first"]).body == "Since Tuesday, no signal at all."
        assert (_count(PostRevision), _count(TopicRevision), _count(ModerationLogEntry)) == (1, 1, 0)
    assert "Your changes are saved." in client.get(f"/t/{scene['topic']}").get_data(as_text=True)


def test_author_edit_with_new_personal_data_is_held(app, client, scene, as_viewer, post_form):
    as_viewer(scene, "author")
    resp = post_form(f"/p/{scene['first']}/edit", _edit_data("Ring me on 07700 900456."))
    assert resp.status_code == 200
    assert "This may be personal data" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Post, scene["first"]).body == "Since Tuesday, no signal."
    resp = post_form(f"/p/{scene['first']}/edit", _edit_data("Ring me on 07700 900456.", confirm_public="y"))
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(Post, scene["first"]).body == "Ring me on 07700 900456."


def test_stale_edit_keeps_the_editors_text(client, app, scene, as_viewer, post_form):
    as_viewer(scene, "author")
    doc = page(client.get(f"/p/{scene['reply']}/edit"))
    assert doc.one("input", id="base_revision").get("value") == "0"
    with app.app_context():
        services.edit_post(db.session.get(Post, scene["reply"]), editor=_user(scene, "moderator"),
                           body="Number removed.", reason="Personal data")
        db.session.commit()
    resp = post_form(f"/p/{scene['reply']}/edit", _edit_data("My careful rewrite"))
    assert resp.status_code == 422
    doc = page(resp)
    assert "Someone changed this since you opened it" in doc.text
    assert doc.one("textarea", id="body").text.strip() == "My careful rewrite"
    with app.app_context():
        assert db.session.get(Post, scene["reply"]).body == "Number removed."


def test_moderator_edit_without_reason_is_refused(client, app, scene, as_viewer, post_form):
    as_viewer(scene, "moderator")
    resp = post_form(f"/p/{scene['reply']}/edit", _edit_data("Changed"))
    assert resp.status_code == 422
    assert "Give a reason" in resp.get_data(as_text=True)
    with app.app_context():
        assert _count(PostRevision) == 0
        assert _count(ModerationLogEntry) == 0
    resp = post_form(f"/p/{scene['reply']}/edit", _edit_data("Changed", reason="Removed phone number"))
    assert resp.status_code == 302
    doc = page(client.get(f"/t/{scene['topic']}"))
    article = doc.one("article", id=f"p{scene['reply']}")
    assert article.one("span", cls="mod-edited").text == "edited by a moderator: Removed phone number"
    assert article.one("a", cls="edited").text == "edited"
    history = page(client.get(f"/p/{scene['reply']}/history"))
    assert "Reason: Removed phone number" in history.text
    assert "+ Changed" in history.text
    assert "- My number is 07700 900123, call me." in history.text


# --- flags: closed by a moderator's real edit, with its log entry; by nothing else ------------


def test_moderator_edit_that_changes_nothing_leaves_the_flags_alone(client, app, scene, as_viewer, post_form):
    """A moderator saves the form without changing the text: no revision, no log entry,
    so the post's flags must stay open (they used to be closed as "edited")."""
    _flag(app, scene, "reply", "member", "member2")
    as_viewer(scene, "moderator")
    resp = post_form(f"/p/{scene['reply']}/edit", _edit_data("My number is 07700 900123, call me.",
                                                              reason="Looked at it"))
    assert resp.status_code == 302
    with app.app_context():
        assert _open_flags(scene["reply"]) == 2
        assert _count(PostRevision) == 0
        assert _count(ModerationLogEntry) == 0
    # Nor does an unchanged title on the opening post.
    _flag(app, scene, "first", "member")
    resp = post_form(f"/p/{scene['first']}/edit", _edit_data("Since Tuesday, no signal.",
                                                              title="No 4G indoors in Leeds", reason="Looked"))
    assert resp.status_code == 302
    with app.app_context():
        assert _open_flags(scene["first"]) == 1
        assert _count(ModerationLogEntry) == 0


def test_moderator_edit_closes_the_flags_with_its_log_entry(client, app, scene, as_viewer, post_form):
    _flag(app, scene, "reply", "member", "member2")
    as_viewer(scene, "moderator")
    resp = post_form(f"/p/{scene['reply']}/edit", _edit_data("My number is [removed].", reason="Personal data"))
    assert resp.status_code == 302
    with app.app_context():
        flags = list(db.session.scalars(select(Flag).where(Flag.post_id == scene["reply"])))
        assert {(f.resolution, f.resolved_by_id) for f in flags} == {("edited", scene["users"]["moderator"]["id"])}
        (entry,) = db.session.scalars(select(ModerationLogEntry))
        assert (entry.action, entry.target_id, entry.reason) == ("edit_post", scene["reply"], "Personal data")


def test_moderator_title_edit_closes_the_opening_posts_flags(client, app, scene, as_viewer, post_form):
    _flag(app, scene, "first", "member", reason="abusive")
    as_viewer(scene, "moderator")
    resp = post_form(f"/p/{scene['first']}/edit", _edit_data("Since Tuesday, no signal.",
                                                              title="No 4G indoors", reason="Title was rude"))
    assert resp.status_code == 302
    with app.app_context():
        assert _open_flags(scene["first"]) == 0
        assert [e.action for e in db.session.scalars(select(ModerationLogEntry))] == ["edit_title"]


def test_authors_own_edit_leaves_the_flags_open(client, app, scene, as_viewer, post_form):
    _flag(app, scene, "reply", "member")
    as_viewer(scene, "author")
    assert post_form(f"/p/{scene['reply']}/edit", _edit_data("Call the shop instead.")).status_code == 302
    with app.app_context():
        assert _open_flags(scene["reply"]) == 1
