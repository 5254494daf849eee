"""The pages: starting conversations, replying, naming, the header count, the staff
inbox, the topic notice and refused input."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.messages import services
from forum.models import Conversation, Message, TopicContact, User
from forum.models.base import utcnow
from tests.messages.conftest import post


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _header_count(html: str):
    m = re.search(r'Messages(?: <span class="count-badge" aria-label="(\d+) unread">)?', html)
    assert m, "no Messages link in the header"
    return int(m.group(1)) if m.group(1) else 0


@pytest.fixture
def topic_id(build, category, people):
    with build() as b:
        return b.topic(category, people["member"]["id"], title="Charged twice this month", body="Look at my bill").id


def test_member_writes_to_customer_care(client_for, people, app):
    c = client_for(people["member"])
    page = c.get("/messages/new")
    assert page.status_code == 200
    assert "Write to Customer Care" in _text(page)
    resp = post(c, "/messages/new", {"subject": "SIM swap", "body": "Please *swap* my SIM"}, "/messages/new")
    assert resp.status_code == 302
    html = _text(c.get(resp.headers["Location"]))
    assert "<em>swap</em>" in html
    assert "with Customer Care" in html
    with app.app_context():
        conv = db.session.scalar(select(Conversation))
        assert conv.is_team
        assert conv.member_id == people["member"]["id"]
        assert conv.assigned_to_id is None


def test_staff_start_from_topic_shows_public_notice_without_content(client_for, people, topic_id, app, client):
    staff = client_for(people["staff"])
    topic_page = _text(staff.get(f"/t/{topic_id}"))
    assert "Message member_u privately about this topic" in topic_page
    form = staff.get(f"/messages/new?to=member_u&topic={topic_id}")
    assert form.status_code == 200
    assert "About your topic: Charged twice this month" in _text(form)
    assert "Customer Care has contacted you privately" not in _text(client.get(f"/t/{topic_id}"))
    resp = post(staff, "/messages/new", {
        "to": "member_u", "topic_id": str(topic_id), "subject": "Your bill", "body": "Account 12345678 refunded",
        "notice_on_topic": "y",
    }, f"/messages/new?to=member_u&topic={topic_id}")
    assert resp.status_code == 302
    public = _text(client.get(f"/t/{topic_id}"))
    # Issue 12: only the asker is told "contacted you"; everyone else sees it is handled privately.
    assert "Customer Care is handling this privately" in public
    assert "contacted you privately" not in public
    assert "contacted you privately" not in _text(client_for(people["other"]).get(f"/t/{topic_id}"))
    assert "Customer Care is handling this privately" in _text(staff.get(f"/t/{topic_id}"))
    asker_page = _text(client_for(people["member"]).get(f"/t/{topic_id}"))
    assert "Customer Care has contacted you privately" in asker_page
    assert "handling this privately" not in asker_page
    assert "refunded" not in public
    assert "Your bill" not in public
    # Members and moderators do not get the "message privately" link (DMs off).
    assert "privately about this topic" not in _text(client_for(people["other"]).get(f"/t/{topic_id}"))
    assert "privately about this topic" not in _text(client_for(people["moderator"]).get(f"/t/{topic_id}"))


def test_no_notice_without_the_checkbox(client_for, people, topic_id, client):
    staff = client_for(people["staff"])
    post(staff, "/messages/new", {"to": "member_u", "topic_id": str(topic_id), "subject": "s", "body": "b"}, "/messages")
    assert "privately" not in _text(client.get(f"/t/{topic_id}")).replace("Message member_u privately", "")


@pytest.mark.parametrize(("setting", "shown"), [("first_name", "Priya · Customer Care"),
                                                ("display_name", "Priya from Customer Care · Customer Care")])
def test_member_sees_team_replies_as_customer_care(app, client_for, make_user, people, team_conv, work, setting, shown):
    priya = make_user("care_priya", role="staff")
    with work() as w:
        w.user(priya).display_name = "Priya from Customer Care"
        services.send_message(w.conv(team_conv), author=w.user(priya), body="We refunded you.")
    app.config["MESSAGES_STAFF_NAME"] = setting
    try:
        member_html = _text(client_for(people["member"]).get(f"/messages/{team_conv}"))
        assert shown in member_html
        assert "care_priya" not in member_html
        staff_html = _text(client_for(people["staff"]).get(f"/messages/{team_conv}"))
        assert "Priya from Customer Care</span>" in staff_html  # the team sees who wrote it
    finally:
        app.config["MESSAGES_STAFF_NAME"] = "first_name"


def test_header_unread_count_and_reading(client_for, people, team_conv, work, app, count_queries):
    member = client_for(people["member"])
    assert _header_count(_text(member.get("/"))) == 0  # own message is read
    with work() as w:
        services.send_message(w.conv(team_conv), author=w.user(people["staff"]), body="Reply 1")
        services.send_message(w.conv(team_conv), author=w.user(people["staff"]), body="Reply 2")
    assert _header_count(_text(member.get("/"))) == 1  # one conversation unread
    assert "New" in _text(member.get("/messages"))
    member.get(f"/messages/{team_conv}")
    assert _header_count(_text(member.get("/"))) == 0
    # The count is one query, whatever the number of conversations.
    from forum.unread import unread_conversations

    with app.app_context():
        user = db.session.get(User, people["member"]["id"])
        counter = count_queries()
        with counter:
            unread_conversations(user)
        assert counter.count == 1


def test_reply_close_reopen_over_http(client_for, people, team_conv, app):
    member, staff = client_for(people["member"]), client_for(people["staff"])
    path = f"/messages/{team_conv}"
    assert post(staff, f"{path}/reply", {"body": "Looking into it"}, path).status_code == 302
    assert post(member, f"{path}/reply", {"body": "Thanks"}, path).status_code == 302
    assert post(member, f"{path}/close", {}, path).status_code == 302
    html = _text(member.get(path))
    assert "This conversation is closed" in html
    assert "closed this conversation" in html
    assert post(member, f"{path}/reply", {"body": "more"}, path).status_code == 422
    assert post(staff, f"{path}/reopen", {}, path).status_code == 302
    html = _text(member.get(path))
    assert "Customer Care reopened this conversation" in html.replace("staff_u · ", "")
    assert post(member, f"{path}/reply", {"body": "One more thing"}, path).status_code == 302
    with app.app_context():
        bodies = list(db.session.scalars(select(Message.body).order_by(Message.id)))
    assert bodies == ["I was charged twice.", "Looking into it", "Thanks", "One more thing"]


def test_assignment_over_http_visible_to_staff_only(client_for, people, team_conv):
    staff, member = client_for(people["staff"]), client_for(people["member"])
    path = f"/messages/{team_conv}"
    assert post(staff, f"{path}/assign", {"action": "me"}, "/staff/inbox").status_code == 302
    assert "staff_u assigned this to staff_u" in _text(staff.get(path))
    assert "assigned" not in _text(member.get(path))
    assert post(staff, f"{path}/assign", {"action": "bogus"}, "/staff/inbox").status_code == 400
    assert post(member, f"{path}/assign", {"action": "me"}, path).status_code == 403


def test_inbox_filters_and_oldest_waiting_first(client_for, people, work, app):
    with work() as w:
        member, other, staff = w.user(people["member"]), w.user(people["other"]), w.user(people["staff"])
        old = services.start_conversation(member, None, subject="Oldest wait", body="a")
        new = services.start_conversation(other, None, subject="Newer wait", body="b")
        services.start_conversation(staff, other, subject="Answered one", body="c")
        closed = services.start_conversation(member, None, subject="Closed one", body="d")
        services.set_closed(closed, True, actor=member)
        old.waiting_since = utcnow() - timedelta(hours=5)
        new.waiting_since = utcnow() - timedelta(hours=1)
        services.assign(new, actor=staff, assignee=staff)
    c = client_for(people["staff"])
    html = _text(c.get("/staff/inbox"))
    assert html.index("Oldest wait") < html.index("Newer wait") < html.index("Answered one")
    assert "Closed one" not in html
    assert "5 hours" in html
    assert "answered" in html
    unassigned = _text(c.get("/staff/inbox?show=unassigned"))
    assert "Oldest wait" in unassigned
    assert "Newer wait" not in unassigned
    mine = _text(c.get("/staff/inbox?show=mine"))
    assert "Newer wait" in mine
    assert "Answered one" in mine
    assert "Oldest wait" not in mine
    assert c.get("/staff/inbox?show=nope").status_code == 400
    assert c.get("/staff/inbox?page=99").status_code == 404


def test_inbox_query_count_is_bounded(client_for, people, work, count_queries):
    c = client_for(people["staff"])

    def count():
        c.get("/staff/inbox")
        counter = count_queries()
        with counter:
            c.get("/staff/inbox")
        return counter.count

    with work() as w:
        services.start_conversation(w.user(people["member"]), None, subject="one", body="a")
    few = count()
    with work() as w:
        for i in range(6):
            services.start_conversation(w.user(people["other"]), None, subject=f"more {i}", body="a")
    assert count() == few


# --- bad input -----------------------------------------------------------------

@pytest.mark.parametrize(("body", "error"), [("", "cannot be empty"), ("x" * 10_001, "at most 10,000")])
def test_empty_and_too_long_messages(client_for, people, team_conv, body, error):
    c = client_for(people["member"])
    resp = post(c, f"/messages/{team_conv}/reply", {"body": body}, f"/messages/{team_conv}")
    assert resp.status_code == 422
    assert error in _text(resp)
    resp = post(c, "/messages/new", {"subject": "s", "body": body}, "/messages/new")
    assert resp.status_code == 422
    assert error in _text(resp)


def test_messaging_a_missing_user(client_for, people):
    c = client_for(people["staff"])
    assert c.get("/messages/new?to=nobody_here").status_code == 404
    resp = post(c, "/messages/new", {"to": "nobody_here", "subject": "s", "body": "b"}, "/messages")
    assert resp.status_code == 422
    assert "There is no member called" in _text(resp)


def test_member_messaging_member_when_off(client_for, people, app):
    c = client_for(people["member"])
    resp = c.get("/messages/new?to=other_member")
    assert resp.status_code == 403
    assert "cannot message other members" in _text(resp)
    resp = post(c, "/messages/new", {"to": "other_member", "subject": "s", "body": "b"}, "/messages")
    assert resp.status_code == 403
    app.config["MEMBER_DMS"] = True
    try:
        resp = post(c, "/messages/new", {"to": "other_member", "subject": "s", "body": "b"}, "/messages")
        assert resp.status_code == 302
    finally:
        app.config["MEMBER_DMS"] = False


@pytest.mark.parametrize(("data", "status"), [({"subject": "", "body": "b"}, 422), ({"subject": "s" * 151, "body": "b"}, 422),
                                             ({"subject": "s", "body": "b", "topic_id": "abc"}, 400)])
def test_bad_new_conversation_fields(client_for, people, data, status):
    c = client_for(people["member"])
    assert post(c, "/messages/new", data, "/messages/new").status_code == status
    assert client_for(people["staff"]).get("/messages/new?to=member_u&topic=%00").status_code == 400


def test_new_conversation_with_missing_topic_is_404(client_for, people):
    assert client_for(people["staff"]).get("/messages/new?to=member_u&topic=99999").status_code == 404


def test_missing_csrf_is_refused(client_for, people, team_conv):
    c = client_for(people["member"])
    assert c.post(f"/messages/{team_conv}/reply", data={"body": "x"}).status_code in (400, 422)
    assert c.post(f"/messages/{team_conv}/close").status_code == 400


def test_unverified_member_cannot_start(client_for, make_user):
    u = make_user("unverified_one", verified=False)
    assert client_for(u).get("/messages/new").status_code == 403


def test_profile_offers_staff_a_private_message(client_for, people, client):
    assert "Message privately" in _text(client_for(people["staff"]).get("/u/member_u"))
    assert "Message privately" not in _text(client_for(people["other"]).get("/u/member_u"))
    assert "Message privately" not in _text(client.get("/u/member_u"))


def test_topic_contact_is_stored(client_for, people, topic_id, app):
    staff = client_for(people["staff"])
    post(staff, "/messages/new", {"to": "member_u", "topic_id": str(topic_id), "subject": "s", "body": "b",
                                  "notice_on_topic": "y"}, "/messages")
    with app.app_context():
        assert db.session.scalar(select(TopicContact.topic_id)) == topic_id
