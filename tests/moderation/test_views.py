"""What members and moderators see, and bad input at every entry point."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Flag, ModerationLogEntry
from forum.moderation import services as mod
from forum.topics import services as topics
from tests.topics.dom import page


def _count(model):
    with db.session.no_autoflush:
        return db.session.scalar(select(func.count(model.id)))


def test_edit_count_shown(client, app, world, as_viewer, get):
    with app.app_context():
        alice = get.user(world, "author")
        topics.edit_post(get.post(world["first"]), editor=alice, body="one")
        topics.edit_post(get.post(world["first"]), editor=alice, body="two")
        db.session.commit()
    doc = page(client.get(f"/t/{world['topic']}"))
    assert doc.one("article", id=f"p{world['first']}").one("a", cls="edited").text == "edited 2 times"


def test_action_on_missing_post_or_topic_is_404(client, world, as_viewer, post_form):
    as_viewer(world, "moderator")
    for path in ("/p/9999/hide", "/p/9999/edit", "/p/9999/history", "/p/9999/flag", "/t/9999/lock",
                 "/t/9999/merge", "/mod/users/nobody/suspend", "/p/99999999999/hide"):
        assert client.get(path).status_code == 404, path
    assert post_form("/p/9999/hide", {"reason": "x"}).status_code == 404
    assert post_form("/mod/appeals/9999", {"outcome": "granted", "reason": "x"}).status_code == 404


def test_missing_reason_changes_nothing(client, app, world, as_viewer, post_form, get):
    as_viewer(world, "moderator")
    for path in (f"/p/{world['reply']}/hide", f"/p/{world['reply']}/spam", f"/t/{world['topic']}/lock",
                 f"/t/{world['topic']}/merge", "/mod/users/eric/suspend"):
        resp = post_form(path, {"reason": "   ", "locked": "1", "into": str(world["other_topic"]), "duration": "7"})
        assert resp.status_code == 422, path
        assert "Give a reason" in resp.get_data(as_text=True)
    resp = post_form(f"/t/{world['topic']}/pin", {"pinned": "1", "reason": ""})
    assert resp.status_code == 302
    with app.app_context():
        assert _count(ModerationLogEntry) == 0
        assert not get.post(world["reply"]).is_hidden
        assert not get.topic(world["topic"]).is_locked
        assert not get.topic(world["topic"]).is_pinned
        assert not get.user(world, "member3").is_suspended


def test_bad_merge_and_move_input(client, app, world, as_viewer, post_form):
    as_viewer(world, "moderator")
    base = f"/t/{world['topic']}"
    assert post_form(f"{base}/merge", {"into": "abc", "reason": "x"}).status_code == 422
    resp = post_form(f"{base}/merge", {"into": "99999", "reason": "x"})
    assert resp.status_code == 422
    assert "no topic with that number" in resp.get_data(as_text=True)
    resp = post_form(f"{base}/merge", {"into": str(world["topic"]), "reason": "x"})
    assert "cannot be merged into itself" in resp.get_data(as_text=True)
    assert post_form(f"{base}/move", {"category": "999", "reason": "x"}).status_code == 422
    assert post_form(f"{base}/lock", {"locked": "7", "reason": "x"}).status_code == 422


def test_merge_redirects_old_topic(client, world, as_viewer, post_form):
    as_viewer(world, "moderator")
    resp = post_form(f"/t/{world['other_topic']}/merge", {"into": str(world["topic"]), "reason": "Duplicate"})
    assert resp.status_code == 302
    old = client.get(f"/t/{world['other_topic']}")
    assert old.status_code == 301
    assert old.headers["Location"].endswith(f"/t/{world['topic']}")
    assert "Does roaming work?" in client.get(f"/t/{world['topic']}").get_data(as_text=True)


def test_flag_form_bad_input(client, app, world, as_viewer, post_form):
    as_viewer(world, "member")
    path = f"/p/{world['reply']}/flag"
    assert post_form(path, {}).status_code == 422
    assert post_form(path, {"reason": "bogus"}).status_code == 422
    resp = post_form(path, {"reason": "other"})
    assert resp.status_code == 422
    assert "Say what is wrong" in resp.get_data(as_text=True)
    assert post_form(path, {"reason": "spam"}).status_code == 302
    resp = post_form(path, {"reason": "abusive"})
    assert resp.status_code == 422
    assert "already flagged" in resp.get_data(as_text=True)
    with app.app_context():
        assert _count(Flag) == 1


def test_flag_own_post_refused(client, world, as_viewer, post_form):
    as_viewer(world, "author")
    resp = post_form(f"/p/{world['reply']}/flag", {"reason": "spam"})
    assert resp.status_code == 403
    assert "cannot flag your own post" in resp.get_data(as_text=True)


def test_review_queue_lists_urgent_first_and_appeals(client, app, world, as_viewer, get):
    with app.app_context():
        mod.flag_post(get.post(world["first"]), user=get.user(world, "member"), reason="off_topic")
        mod.flag_post(get.post(world["first"]), user=get.user(world, "member2"), reason="off_topic")
        mod.flag_post(get.post(world["reply"]), user=get.user(world, "member"), reason="personal_data")
        db.session.commit()
    as_viewer(world, "moderator")
    doc = page(client.get("/mod/review"))
    items = doc.find_all("section", cls="queue-item")
    assert items[0].get("id") == f"q{world['reply']}"
    assert "Urgent: personal data" in items[0].text
    assert items[1].get("id") == f"q{world['first']}"
    assert "2 flags" in items[1].text


def test_appeal_form_once(client, app, world, as_viewer, post_form, get):
    with app.app_context():
        mod.hide_post(get.post(world["reply"]), actor=get.user(world, "moderator"), reason="Phone number")
        db.session.commit()
    as_viewer(world, "author")
    path = f"/p/{world['reply']}/appeal"
    assert post_form(path, {"text": ""}).status_code == 422
    assert post_form(path, {"text": "x" * 501}).status_code == 422
    assert post_form(path, {"text": "It is the shop's number"}).status_code == 302
    resp = post_form(path, {"text": "again"})
    assert resp.status_code == 422
    assert "can be made once" in resp.get_data(as_text=True)


def test_suspended_member_sees_why_and_until_when(client, app, world, as_viewer, post_form):
    as_viewer(world, "moderator")
    assert post_form("/mod/users/eric/suspend", {"duration": "7", "reason": "Abusive replies"}).status_code == 302
    assert post_form("/mod/users/eric/suspend", {"duration": "42", "reason": "x"}).status_code == 422
    client.post("/logout", data={"csrf_token": page(client.get("/")).one("form", cls="inline")
                                 .one("input").get("value")})
    as_viewer(world, "member3")
    home = page(client.get("/"))
    assert "Your account is suspended until" in home.one("div", cls="suspension-notice").text
    for path in (f"/t/{world['topic']}/reply", f"/p/{world['reply']}/flag", "/c/network/new"):
        resp = client.get(path)
        assert resp.status_code == 403, path
        text = resp.get_data(as_text=True)
        assert "Abusive replies" in text
        assert "until" in text
    assert client.get(f"/t/{world['topic']}").status_code == 200, "suspended members can still read"


def test_moderation_log_page_filters_and_anonymity(client, app, world, get, monkeypatch):
    with app.app_context():
        mona, ada = get.user(world, "moderator"), get.user(world, "admin")
        mod.hide_post(get.post(world["reply"]), actor=mona, reason="Phone number")
        mod.set_locked(get.topic(world["other_topic"]), True, actor=ada, reason="Answered")
        db.session.commit()
    doc = page(client.get("/moderation-log"))
    rows = doc.one("table", cls="modlog").find_all("tr")[1:]
    assert len(rows) == 2
    assert "Locked a topic" in rows[0].text
    assert "Answered" in rows[0].text
    assert "ada (Administrator)" in rows[0].text
    assert "Hid a post" in rows[1].text
    assert "Phone number" in rows[1].text
    assert "mona (Moderator)" in rows[1].text
    assert "07700" not in doc.text
    one = page(client.get("/moderation-log?action=lock_topic")).one("table", cls="modlog").find_all("tr")[1:]
    assert len(one) == 1
    assert len(page(client.get("/moderation-log?moderator=mona")).one("table", cls="modlog").find_all("tr")) == 2
    assert len(page(client.get("/moderation-log?member=alice")).one("table", cls="modlog").find_all("tr")) == 2
    assert client.get("/moderation-log?action=drop_table").status_code == 400
    assert client.get("/moderation-log?member=nobody").status_code == 404
    assert client.get("/moderation-log?page=99").status_code == 404
    monkeypatch.setitem(app.config, "MODLOG_NAME_MODERATORS", False)
    text = client.get("/moderation-log").get_data(as_text=True)
    assert "mona" not in text
    assert "ada (Administrator)" not in text
    assert "a moderator" in text


def test_moderation_log_paginates(client, app, world, get):
    with app.app_context():
        mona, topic = get.user(world, "moderator"), get.topic(world["topic"])
        for i in range(26):
            mod.set_locked(topic, i % 2 == 0, actor=mona, reason=f"reason {i}")
        db.session.commit()
    from forum.moderation import queries

    monkey = queries.LOG_PER_PAGE
    assert monkey == 50
    with app.app_context():
        p = queries.moderation_log(2, per_page=20)
        assert p.pages == 2
        assert len(p.items) == 6


def test_atom_feed(client, app, world, get):
    with app.app_context():
        mod.delete_spam(get.post(world["reply"]), actor=get.user(world, "moderator"), reason="Advertising")
        db.session.commit()
    resp = client.get("/moderation-log.atom")
    assert resp.status_code == 200
    assert resp.content_type.startswith("application/atom+xml")
    root = ET.fromstring(resp.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    (entry,) = root.findall("a:entry", ns)
    assert "Removed spam" in entry.find("a:title", ns).text
    assert "Advertising" in entry.find("a:content", ns).text
    assert "07700" not in resp.get_data(as_text=True)
