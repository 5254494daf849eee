"""In-app notifications: grouped by topic, one per recipient and action, read when the
topic is opened, and the header's menu fragment (signed-in, own data only)."""

from __future__ import annotations

from sqlalchemy import select

from forum.extensions import db
from forum.helpdesk import services as helpdesk
from forum.models import Notification, Post, Topic, User
from forum.notify import notify
from forum.topics import services as topics
from tests.conftest import AuthActions, csrf_token
from tests.topics.dom import parse


def _unread(app, user) -> list[tuple[str, int, int | None]]:
    with app.app_context():
        return [(n.text, n.count, n.topic_id) for n in db.session.scalars(
            select(Notification).where(Notification.user_id == user["id"], Notification.read_at.is_(None))
            .order_by(Notification.id))]


def _reply(app, topic_id, user, body="More"):
    with app.app_context():
        post = topics.reply_to_topic(db.session.get(Topic, topic_id), author=db.session.get(User, user["id"]), body=body)
        db.session.commit()
        return post.id


# --- grouping ------------------------------------------------------------------------


def test_replies_group_by_topic_while_unread(app, client, auth, build, make_user, category):
    asker, a, b = make_user("asker"), make_user("ann"), make_user("bob")
    with build() as bb:
        t1 = bb.topic(category, asker, title="No signal in Leeds").id
        t2 = bb.topic(category, asker, title="Roaming in France").id
    for who in (a, b, a):
        _reply(app, t1, who)
    _reply(app, t2, b)
    assert _unread(app, asker) == [("3 new replies in “No signal in Leeds”.", 3, t1),
                                   ("bob replied in your topic “Roaming in France”.", 1, t2)]
    auth.login("asker")
    doc = parse(client.get("/notifications").get_data(as_text=True))
    items = [li.text for li in doc.find("ol", cls="notifications").find_all("li")]
    assert len(items) == 2
    assert "3 new replies in “No signal in Leeds”." in items[1] or "3 new replies in “No signal in Leeds”." in items[0]
    # Once read, the next reply starts a new group.
    client.post("/notifications/read", data={"csrf_token": csrf_token(client, "/notifications")})
    _reply(app, t1, b)
    assert _unread(app, asker) == [("bob replied in your topic “No signal in Leeds”.", 1, t1)]


# --- one notification per recipient and action ---------------------------------------


def test_a_staff_reply_marked_as_the_official_answer_in_one_action_notifies_once(app, build, make_user, category, mails):
    asker, care = make_user("asker"), make_user("priya", role="staff")
    with build() as b:
        tid = b.topic(category, asker, title="No 4G").id
    with app.app_context():  # one action: reply, mark it the official answer (the topic is answered)
        staff = db.session.get(User, care["id"])
        post = topics.reply_to_topic(db.session.get(Topic, tid), author=staff, body="Restart the phone.")
        helpdesk.mark_official_answer(post, actor=staff, reason="Confirmed")
        db.session.commit()
    assert _unread(app, asker) == [
        ("priya marked an official answer on your topic “No 4G”. Did it solve your problem?", 1, tid)]
    assert len(mails(asker)) == 1
    assert _unread(app, care) == []  # never the actor


def test_notify_keeps_the_most_important_notification_per_topic(app, build, make_user, category):
    member = make_user("member")
    with build() as b:
        t7, t8 = b.topic(category, member, title="Seven").id, b.topic(category, member, title="Eight").id
    with app.app_context():
        notify([member["id"]], kind="reply", text="A reply", url="/p/1", topic=t7)
        notify([member["id"]], kind="moderation", text="A moderator hid your post", url="/p/2", topic=t7)
        notify([member["id"]], kind="satisfaction", text="Did this solve it?", url="/t/7", topic=t7)
        notify([member["id"]], kind="reply", text="Elsewhere", url="/p/3", topic=t8)
        notify([member["id"]], kind="message", text="No topic", url="/messages/1")
        notify([member["id"]], kind="message", text="No topic", url="/messages/1")  # the same, twice
        db.session.commit()
    texts = sorted(t for t, _, _ in _unread(app, member))
    assert texts == ["A moderator hid your post", "Elsewhere", "No topic"]


# --- opening the topic marks its notifications read ------------------------------------


def test_opening_the_topic_marks_its_notifications_read(app, client, auth, build, make_user, category):
    asker, helper = make_user("asker"), make_user("helper")
    with build() as b:
        t1 = b.topic(category, asker, title="No signal in Leeds")
        t2 = b.topic(category, asker, title="Roaming in France")
        path1 = f"/t/{t1.id}-{t1.slug}"
        t1, t2 = t1.id, t2.id
    _reply(app, t1, helper)
    _reply(app, t1, helper)
    _reply(app, t2, helper)
    auth.login("asker")
    header = client.get("/").get_data(as_text=True).split("</header>")[0]
    assert 'aria-label="2 unread"' in header
    resp = client.get(path1)
    assert resp.status_code == 200
    # This page's header already leaves out the topic being read.
    assert 'aria-label="1 unread"' in resp.get_data(as_text=True).split("</header>")[0]
    assert [tid for _, _, tid in _unread(app, asker)] == [t2]
    assert 'aria-label="1 unread"' in client.get("/").get_data(as_text=True).split("</header>")[0]
    # A later reply is a new unread notification.
    _reply(app, t1, helper)
    assert [tid for _, _, tid in _unread(app, asker)] == [t2, t1]


def test_opening_a_topic_reads_only_the_viewers_notifications(app, client, auth, build, make_user, category):
    asker, helper, other = make_user("asker"), make_user("helper"), make_user("other")
    with build() as b:
        t = b.topic(category, asker, title="No signal in Leeds")
        path, tid = f"/t/{t.id}-{t.slug}", t.id
    _reply(app, tid, other)
    _reply(app, tid, helper)  # other follows the topic now: notified too
    assert len(_unread(app, other)) == 1
    auth.login("asker")
    client.get(path)
    assert _unread(app, asker) == []
    assert len(_unread(app, other)) == 1
    # Visitors read topics without any write.
    AuthActions(client).logout()
    assert client.get(path).status_code == 200


def test_marking_read_costs_one_bounded_update_and_nothing_when_nothing_is_unread(
        app, count_queries, build, make_user, category):
    asker, helper = make_user("asker"), make_user("helper")
    with build() as b:
        t = b.topic(category, asker, title="Quiet topic")
        path, tid = f"/t/{t.id}-{t.slug}", t.id
    client = app.test_client()
    AuthActions(client).login("asker")
    client.get(path)

    def statements():
        counter = count_queries()
        with counter:
            assert client.get(path).status_code == 200
        return counter.statements

    quiet = statements()
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in quiet)
    _reply(app, tid, helper)
    busy = statements()
    extra = [s for s in busy if s.lstrip().upper().startswith("UPDATE")]
    # + the count of this topic's unread notifications (a quiet page skips it: the session
    # load counted none unread, forum.unread), + the notifications UPDATE, + the read
    # position moving to the reply (one upsert, forum.topics.reading; an INSERT ... ON
    # CONFLICT, so not in ``extra``), + the new author's rank (forum.people.ranks caches
    # the others').
    ranks = [s for s in busy if "solutions" in s]
    assert len(ranks) <= 1, ranks
    assert not any("notifications" in s for s in quiet[1:]), quiet
    assert len(busy) == len(quiet) + 3 + len(ranks), busy
    assert len([s for s in busy if "topic_reads" in s and s.lstrip().upper().startswith("INSERT")]) == 1
    assert len(extra) == 1
    assert "notifications" in extra[0]
    assert "topic_id" in extra[0]
    assert "user_id" in extra[0]
    assert _unread(app, asker) == []


# --- the header menu -----------------------------------------------------------------


def test_the_header_menu_needs_a_sign_in_and_shows_only_own_notifications(app, client, auth, make_user):
    ann, bob = make_user("ann"), make_user("bob")
    with app.app_context():
        notify([ann["id"]], kind="reply", text="For Ann: 2 new replies", url="/t/1")
        notify([bob["id"]], kind="reply", text="For Bob only", url="/t/2")
        db.session.commit()
    resp = client.get("/notifications/menu")
    assert resp.status_code == 401
    assert "For Ann" not in resp.get_data(as_text=True)
    auth.login("ann")
    resp = client.get("/notifications/menu")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "private, no-store"
    html = resp.get_data(as_text=True)
    assert "<html" not in html  # a fragment, not a page
    doc = parse(html)
    body = doc.one("div", cls="notification-menu-body")
    assert body.get("data-unread") == "1"
    assert "For Ann: 2 new replies" in body.text
    assert "For Bob" not in html
    assert doc.find("a").get("href") == "/notifications"
    # Each item opens through the same POST as the notifications page.
    form = doc.find("form")
    assert form.get("method") == "post"
    assert form.get("action").endswith("/open")
    assert doc.find("input").get("name") == "csrf_token"


def test_the_header_links_the_menu_script_and_the_no_javascript_page(app, client, auth, make_user):
    make_user("ann")
    auth.login("ann")
    html = client.get("/").get_data(as_text=True)
    doc = parse(html)
    link = doc.one("a", id="notifications-link")
    assert link.get("href") == "/notifications"
    assert link.get("data-menu-url") == "/notifications/menu"
    assert doc.one("div", id="notifications-menu").get("hidden") is not None
    scripts = [s.get("src") for s in doc.find_all("script")]
    assert "/static/js/notifications.js" in scripts
    assert all(s for s in scripts)  # no inline script
    assert client.get("/static/js/notifications.js").status_code == 200
    # Visitors get neither the panel nor the script.
    AuthActions(client).logout()
    assert "notifications.js" not in client.get("/").get_data(as_text=True)


def test_kudos_notifications_name_their_topic(app, thread):
    with app.app_context():
        helpdesk.give_kudos(db.session.get(Post, thread["care_reply"]), user=db.session.get(User, thread["author"]["id"]))
        db.session.commit()
        note = db.session.scalar(select(Notification).where(Notification.kind == "kudos"))
        assert (note.topic_id, note.category) == (thread["topic"], "other")
