"""Conversations on the write pipeline: the core's error family, text hygiene, the
``require()`` pages, and opening a conversation (a GET) writing nothing through the
request's session."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from forum import actions
from forum.extensions import db
from forum.messages import services
from forum.models import ConversationParticipant
from forum.text import NUL_MESSAGE
from tests.messages.conftest import post

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def _header_count(html: str) -> int:
    m = re.search(r'Messages(?: <span class="count-badge" aria-label="(\d+) unread">)?', html)
    assert m, "no Messages link in the header"
    return int(m.group(1)) if m.group(1) else 0


def _last_read(app, conv_id: int, user) -> int:
    with app.app_context():
        return db.session.scalar(
            select(ConversationParticipant.last_read_message_id)
            .where(ConversationParticipant.conversation_id == conv_id, ConversationParticipant.user_id == user["id"])
        )


@pytest.fixture
def unread_conv(work, people, team_conv):
    """``team_conv`` with a Customer Care reply the member has not seen."""
    with work() as w:
        services.send_message(w.conv(team_conv), author=w.user(people["staff"]), body="We refunded you.")
    return team_conv


def test_opening_a_conversation_writes_nothing_in_the_request(app, client_for, people, unread_conv, monkeypatch):
    member = client_for(people["member"])
    endpoint = "messages.view_conversation"
    handler = app.view_functions[endpoint]
    seen: list[tuple[bool, str]] = []
    state = {"in_handler": False}

    def wrapped(*args, **kwargs):
        state["in_handler"] = True
        try:
            return handler(*args, **kwargs)
        finally:
            state["in_handler"] = False

    def listen(conn, cursor, statement, parameters, context, executemany):
        if WRITE.match(statement):
            seen.append((state["in_handler"], statement))

    monkeypatch.setitem(app.view_functions, endpoint, wrapped)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        resp = member.get(f"/messages/{unread_conv}")
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert resp.status_code == 200
    assert [s for inside, s in seen if inside] == [], "the GET handler wrote"
    # The read position is written afterwards, in its own transaction...
    after = [s for inside, s in seen if not inside]
    assert len(after) == 1
    assert "conversation_participants" in after[0]
    # ...and the header, on this page already and on the next, counts it as read.
    assert _header_count(resp.get_data(as_text=True)) == 0
    assert _header_count(member.get("/").get_data(as_text=True)) == 0


def test_header_on_the_conversation_page_counts_other_unread_ones(client_for, people, work, unread_conv):
    with work() as w:
        other = services.start_conversation(w.user(people["staff"]), w.user(people["member"]), subject="x", body="y")
        other_id = other.id
    member = client_for(people["member"])
    assert _header_count(member.get("/").get_data(as_text=True)) == 2
    assert _header_count(member.get(f"/messages/{unread_conv}").get_data(as_text=True)) == 1
    assert _header_count(member.get(f"/messages/{unread_conv}").get_data(as_text=True)) == 1  # already read
    assert _header_count(member.get(f"/messages/{other_id}").get_data(as_text=True)) == 0


def test_a_page_that_fails_to_build_leaves_the_conversation_unread(app, client_for, people, unread_conv, monkeypatch):
    member = client_for(people["member"])
    before = _last_read(app, unread_conv, people["member"])

    def broken(*args, **kwargs):
        raise RuntimeError("template broke")

    monkeypatch.setattr("forum.messages.views.render_template", broken)
    with pytest.raises(RuntimeError):
        member.get(f"/messages/{unread_conv}")
    assert _last_read(app, unread_conv, people["member"]) == before


def test_record_read_never_moves_back_nor_adds_readers(app, work, people, unread_conv):
    with work() as w:
        last = w.conv(unread_conv).last_message_id
    services_args = (unread_conv, people["member"]["id"])
    with app.app_context():
        services.record_read(*services_args, last)
        services.record_read(*services_args, last - 1)
        services.record_read(unread_conv, people["moderator"]["id"], last)
    assert _last_read(app, unread_conv, people["member"]) == last
    assert _last_read(app, unread_conv, people["moderator"]) is None


def test_errors_belong_to_the_core_family():
    assert issubclass(services.MessageError, actions.ActionError)
    assert issubclass(services.NotAllowed, actions.PermissionDenied)
    assert issubclass(services.NotAllowed, services.MessageError)
    assert services.NotAllowed("no").status == 403
    assert services.MessageError("bad").status == 400


@pytest.mark.parametrize("field", ["subject", "body"])
def test_nul_is_refused_with_the_core_message(work, people, field):
    data = {"subject": "Bill", "body": "Charged twice", field: "a\x00b"}
    with work() as w, pytest.raises(services.MessageError) as refused:
        services.start_conversation(w.user(people["member"]), None, **data)
    assert (refused.value.message, refused.value.field) == (NUL_MESSAGE, field)


def test_nul_on_the_form_is_shown_next_to_the_field(client_for, people, team_conv):
    c = client_for(people["member"])
    resp = post(c, f"/messages/{team_conv}/reply", {"body": "a\x00b"}, f"/messages/{team_conv}")
    assert resp.status_code == 422
    assert "NUL character" in resp.get_data(as_text=True)


@pytest.mark.parametrize("kind", ["unverified", "suspended"])
def test_accounts_that_cannot_take_part_get_the_page_that_says_why(app, client_for, make_user, people, work, kind):
    from forum.moderation import services as moderation

    who = make_user("sid", verified=kind != "unverified")
    with work() as w:
        conv_id = services.start_conversation(w.user(people["staff"]), w.user(who), subject="Bill", body="Hi").id
        if kind == "suspended":
            moderation.suspend_user(w.user(who), actor=w.user(people["moderator"]), reason="Abusive replies", days=7)
    c = client_for(who)
    path = f"/messages/{conv_id}"
    expected = "Your account is suspended" if kind == "suspended" else "Confirm your email"
    for url, data in ((f"{path}/reply", {"body": "hello"}), (f"{path}/close", {}), ("/messages/private", {"body": "x"})):
        resp = post(c, url, data, path)
        assert resp.status_code == 403, url
        assert expected in resp.get_data(as_text=True), url
    assert c.get(path).status_code == 200  # reading is still allowed


def test_only_team_conversations_are_assigned(app, client_for, people, work):
    app.config["MEMBER_DMS"] = True
    try:
        with work() as w:
            conv_id = services.start_conversation(w.user(people["staff"]), w.user(people["executive"]),
                                                  subject="Rota", body="Swap Friday?").id
    finally:
        app.config["MEMBER_DMS"] = False
    c = client_for(people["staff"])
    assert post(c, f"/messages/{conv_id}/assign", {"action": "me"}, f"/messages/{conv_id}").status_code == 403


def test_a_failed_read_write_does_not_fail_the_page(app, client_for, people, unread_conv, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def locked(*args):
        raise OperationalError("UPDATE", {}, Exception("database is locked"))

    monkeypatch.setattr(services, "record_read", locked)
    before = _last_read(app, unread_conv, people["member"])
    resp = client_for(people["member"]).get(f"/messages/{unread_conv}")
    assert resp.status_code == 200
    assert "We refunded you." in resp.get_data(as_text=True)
    assert _last_read(app, unread_conv, people["member"]) == before
