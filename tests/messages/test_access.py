"""Privacy: who can read which conversation. A conversation the viewer may not read
answers 404 (never 403) at every address, so guessed ids tell nothing; anonymous
visitors go to the sign-in page. Moderators are not Customer Care."""

from __future__ import annotations

import pytest

from forum.messages import services
from tests.messages.conftest import post

VIEWERS = ("anonymous", "member", "other", "moderator", "staff", "executive", "admin")

# Who reads a member-to-team conversation started by "member".
TEAM_READERS = {"member", "staff", "executive", "admin"}
# Who reads a direct conversation between "member" and "other".
DIRECT_READERS = {"member", "other"}


def _client(client_for, people, viewer):
    return client_for(None if viewer == "anonymous" else people[viewer])


def _expect(resp, viewer, allowed):
    if viewer == "anonymous":
        assert resp.status_code == 302
        assert "/login" in resp.headers["Location"]
    elif allowed:
        assert resp.status_code in (200, 302)
    else:
        assert resp.status_code == 404, resp.status_code


@pytest.mark.parametrize("viewer", VIEWERS)
def test_team_conversation_matrix(client_for, people, team_conv, viewer):
    c = _client(client_for, people, viewer)
    allowed = viewer in TEAM_READERS
    resp = c.get(f"/messages/{team_conv}")
    _expect(resp, viewer, allowed)
    if allowed:
        assert "I was charged twice." in resp.get_data(as_text=True)
    if viewer != "anonymous" and not allowed:
        # Every write address answers the same 404.
        for action, data in (("reply", {"body": "hi"}), ("close", {}), ("reopen", {}), ("assign", {"action": "me"})):
            assert post(c, f"/messages/{team_conv}/{action}", data).status_code == 404, action


@pytest.mark.parametrize("viewer", VIEWERS)
def test_direct_conversation_matrix(app, client_for, people, work, viewer):
    app.config["MEMBER_DMS"] = True
    try:
        with work() as w:
            conv_id = services.start_conversation(
                w.user(people["member"]), w.user(people["other"]), subject="Between us", body="private words"
            ).id
        c = _client(client_for, people, viewer)
        resp = c.get(f"/messages/{conv_id}")
        _expect(resp, viewer, viewer in DIRECT_READERS)
        if viewer in DIRECT_READERS:
            assert "private words" in resp.get_data(as_text=True)
    finally:
        app.config["MEMBER_DMS"] = False


@pytest.mark.parametrize("viewer", ["member", "moderator", "staff"])
@pytest.mark.parametrize("path", ["/messages/999999", "/messages/2147483647", "/messages/999999/reply"])
def test_guessed_missing_ids_are_404_like_forbidden_ones(client_for, people, viewer, path):
    c = client_for(people[viewer])
    resp = post(c, path, {"body": "x"}) if path.endswith("reply") else c.get(path)
    assert resp.status_code == 404


def test_huge_id_is_404_not_500(client_for, people):
    assert client_for(people["staff"]).get("/messages/99999999999999999999").status_code == 404


@pytest.mark.parametrize("viewer", VIEWERS)
def test_staff_inbox_matrix(client_for, people, viewer):
    resp = _client(client_for, people, viewer).get("/staff/inbox")
    if viewer == "anonymous":
        assert resp.status_code == 302
        assert "/login" in resp.headers["Location"]
    elif viewer in ("staff", "executive", "admin"):
        assert resp.status_code == 200
    else:
        assert resp.status_code == 403


@pytest.mark.parametrize("path", ["/messages", "/messages/new"])
def test_anonymous_is_sent_to_sign_in(client, path):
    resp = client.get(path)
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def test_messages_list_shows_only_own_conversations(client_for, people, team_conv, work):
    with work() as w:
        services.start_conversation(w.user(people["other"]), None, subject="Other's secret", body="x")
    html = client_for(people["member"]).get("/messages").get_data(as_text=True)
    assert "My bill" in html
    assert "Other&#39;s secret" not in html
    assert "Other's secret" not in html


def test_moderator_sees_no_team_conversation_anywhere(client_for, people, team_conv):
    c = client_for(people["moderator"])
    assert "My bill" not in c.get("/messages").get_data(as_text=True)
    assert c.get("/staff/inbox").status_code == 403
