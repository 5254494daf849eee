"""The API's endpoints: what each role and token may do (the pages' predicates),
writes through the features' services (logged as on the pages), refused input that
stores nothing, and the error shape."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import ApiToken, Conversation, InternalNote, ModerationLogEntry, Post, Topic


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _error(resp, status: int, code: str | None = None):
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


def test_visitor_lists_and_reads_topics_without_a_cookie(api, community):
    resp = api().get("/api/v1/topics")
    assert resp.status_code == 200
    assert "Set-Cookie" not in resp.headers
    body = resp.get_json()
    assert [t["title"] for t in body["items"]] == ["No signal in Leeds"]
    assert body["pagination"]["total"] == 1
    one = api().get(f"/api/v1/topics/{community['topic']}").get_json()
    assert one["first_post"]["body_html"] == "<p>Since Tuesday, <strong>no bars</strong>.</p>\n"
    assert one["state"] == "answered"
    posts = api().get(f"/api/v1/topics/{community['topic']}/posts").get_json()
    assert [p["is_first"] for p in posts["items"]] == [True, False]
    assert posts["items"][1]["author"]["is_staff"] is True
    by_board = api().get(f"/api/v1/topics?category={community['category']['slug']}&status=resolved").get_json()
    assert by_board["items"] == []


def test_no_email_anywhere(api, community, make_token):
    token = make_token(community["care"])
    for path in ("/api/v1/topics", f"/api/v1/topics/{community['topic']}", f"/api/v1/topics/{community['topic']}/posts",
                 "/api/v1/users/member", "/api/v1/me"):
        text = api(token).get(path).get_data(as_text=True)
        assert "@example.test" not in text, path


def test_profile(api, community):
    body = api().get("/api/v1/users/member").get_json()
    assert body["username"] == "member"
    assert "email" not in body
    assert body["stats"]["posts"] >= 1
    _error(api().get("/api/v1/users/nobody-here"), 404, "not_found")


@pytest.mark.parametrize("path", ["/api/v1/topics/999999", "/api/v1/topics/999999/posts", "/api/v1/incidents/4242",
                                  "/api/v1/topics?category=nope", "/api/v1/nothing-here"])
def test_not_found_is_json(api, community, path):
    _error(api().get(path), 404)


@pytest.mark.parametrize("query", ["page=0", "page=abc", "status=weird", "page=99999999999999999999"])
def test_bad_params_are_422(api, community, query):
    err = _error(api().get(f"/api/v1/topics?{query}"), 422, "invalid")
    assert err["fields"]


def test_bad_or_revoked_tokens_are_401(app, api, community, make_token):
    _error(api("nonsense").get("/api/v1/topics"), 401, "unauthorized")
    _error(api("fapi_" + "x" * 43).get("/api/v1/topics"), 401, "unauthorized")
    resp = app.test_client().get("/api/v1/topics", headers={"Authorization": "Basic abc"})
    _error(resp, 401, "unauthorized")
    token = make_token(community["care"])
    assert api(token).get("/api/v1/me").status_code == 200
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        row.revoked_at = row.created_at
        db.session.commit()
    _error(api(token).get("/api/v1/topics"), 401, "unauthorized")


def test_personal_token_stops_when_its_owner_is_no_longer_staff(app, api, community, make_token):
    from forum.models import User

    token = make_token(community["care"])
    with app.app_context():
        db.session.get(User, community["care"]["id"]).role = "member"
        db.session.commit()
    _error(api(token).get("/api/v1/topics"), 401, "unauthorized")


def test_token_is_stored_hashed_and_last_use_recorded(app, api, community, make_token):
    import hashlib

    token = make_token(community["care"])
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in (row.prefix, row.name, row.token_hash)
        assert row.last_used_at is None
    assert api(token).get("/api/v1/me").get_json()["scopes"] == ["read", "staff", "write"]
    with app.app_context():
        assert db.session.scalar(select(ApiToken)).last_used_at is not None


def test_reply_through_the_api(app, api, community, make_token):
    token = make_token(community["care"])
    resp = api(token).post(f"/api/v1/topics/{community['topic']}/posts", json={"body": "Fixed now: *restart*."})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["body_html"] == "<p>Fixed now: <em>restart</em>.</p>\n"
    assert body["author"]["username"] == "care"
    with app.app_context():
        post = db.session.get(Post, body["id"])
        assert post.author_id == community["care"]["id"]
        assert db.session.get(Topic, community["topic"]).reply_count == 2


def test_create_topic_through_the_api(app, api, community, make_token):
    token = make_token(community["care"])
    resp = api(token).post("/api/v1/topics", json={"category": community["category"]["slug"],
                                                  "title": "Roaming in France", "body": "Works again."})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()["title"] == "Roaming in France"
    assert _count(app, Topic) == 2


@pytest.mark.parametrize("body", [
    None, {}, {"body": ""}, {"body": "   "}, {"body": 5}, {"body": "x" * 20_001}, {"body": "ok", "extra": 1},
    {"body": "a\x00b"}, {"body": "ok", "parent_id": "x"}, {"body": "ok", "parent_id": 999999},
    {"body": "Call me on 07700 900123, card 4111 1111 1111 1111"},
])
def test_bad_reply_input_stores_nothing(app, api, community, make_token, body):
    token = make_token(community["care"])
    before = _count(app, Post)
    resp = api(token).post(f"/api/v1/topics/{community['topic']}/posts", json=body)
    assert 400 <= resp.status_code < 500, resp.get_data(as_text=True)
    _error(resp, resp.status_code)
    assert _count(app, Post) == before


def test_bad_json_is_400(app, api, community, make_token):
    token = make_token(community["care"])
    before = _count(app, Post)
    for raw in (b"{not json", b"\xff\xfe", b"[1, 2", b""):
        resp = app.test_client().post(f"/api/v1/topics/{community['topic']}/posts", data=raw,
                                      headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        assert resp.status_code in (400, 422), (raw, resp.status_code)
        _error(resp, resp.status_code)
    assert _count(app, Post) == before


# --- the permissions matrix -------------------------------------------------------------

WRITE = [("post", "/api/v1/topics/{topic}/posts", {"body": "Hello there"}),
         ("post", "/api/v1/topics", {"category": "network", "title": "A new question", "body": "Body text"})]
STAFF_READ = ["/api/v1/staff/queue", "/api/v1/cases", "/api/v1/topics/{topic}/notes"]


def _call(client, method, path, body, community):
    path = path.format(topic=community["topic"])
    return client.get(path) if method == "get" else client.post(path, json=body)


@pytest.mark.parametrize(("method", "path", "body"), WRITE)
def test_writes_need_a_token_with_write_scope(api, community, make_token, method, path, body):
    _error(_call(api(), method, path, body, community), 401, "unauthorized")
    read_only = make_token(community["care"], scopes=("read",))
    _error(_call(api(read_only), method, path, body, community), 403, "insufficient_scope")
    assert _call(api(make_token(community["care"], scopes=("write",))), method, path, body, community).status_code == 201


@pytest.mark.parametrize("path", STAFF_READ)
def test_staff_endpoints(api, community, make_user, make_token, path):
    _error(_call(api(), "get", path, None, community), 401)
    _error(_call(api(make_token(community["care"], scopes=("read", "write"))), "get", path, None, community), 403,
           "insufficient_scope")
    assert _call(api(make_token(community["care"])), "get", path, None, community).status_code == 200
    assert _call(api(make_token(community["admin"])), "get", path, None, community).status_code == 200


def test_service_token_acts_as_its_account_and_keeps_its_rights(app, api, community, make_user, make_token):
    """A service token for a member account has the member's rights, not more."""
    bot_member = make_user("crm-member")
    token = make_token(bot_member, admin=community["admin"])
    _error(api(token).get("/api/v1/staff/queue"), 403, "forbidden")
    _error(api(token).post(f"/api/v1/topics/{community['topic']}/notes", json={"body": "x"}), 403, "forbidden")
    assert _count(app, InternalNote) == 0
    bot = make_user("crm-bot", role="staff")
    staff_token = make_token(bot, admin=community["admin"])
    resp = api(staff_token).post(f"/api/v1/topics/{community['topic']}/notes", json={"body": "CRM case 123 opened"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()["author"]["username"] == "crm-bot"
    notes = api(staff_token).get(f"/api/v1/topics/{community['topic']}/notes").get_json()["items"]
    assert [n["body_html"] for n in notes] == ["<p>CRM case 123 opened</p>\n"]
    # members never see notes, not even through the topic
    assert "CRM case" not in api().get(f"/api/v1/topics/{community['topic']}").get_data(as_text=True)


def test_crm_closes_a_private_case_with_a_public_note(app, api, community, make_user, make_token):
    from forum.helpdesk import escalation

    with app.app_context():
        from forum.models import User

        care = db.session.get(User, community["care"]["id"])
        topic = db.session.get(Topic, community["topic"])
        case = escalation.escalate_topic(topic, actor=care, subject="Your signal", body="Can you send your postcode?")
        db.session.commit()
        case_id = case.id
    bot = make_user("crm-bot", role="staff")
    token = make_token(bot, admin=community["admin"])
    cases = api(token).get("/api/v1/cases?open=true").get_json()["items"]
    assert [c["id"] for c in cases] == [case_id]
    detail = api(token).get(f"/api/v1/cases/{case_id}").get_json()
    assert detail["messages"][0]["body_html"].startswith("<p>Can you send")
    # a member's token (none exists for members) / a moderator: not the care team
    mod = make_user("mod", role="moderator")
    _error(api(make_token(mod)).get(f"/api/v1/cases/{case_id}"), 404)
    resp = api(token).post(f"/api/v1/cases/{case_id}/close", json={"note": "Fixed: the mast is upgraded."})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["case"]["is_closed"] is True
    assert body["resolution_post"]["author"]["username"] == "crm-bot"
    with app.app_context():
        assert db.session.get(Conversation, case_id).is_closed
        entry = db.session.scalar(select(ModerationLogEntry).where(ModerationLogEntry.action == "close_private_case"))
        assert entry.actor_id == bot["id"]  # logged as on the page, naming the service account
    _error(api(token).post(f"/api/v1/cases/{case_id}/close", json={}), 409, "conflict")


def test_incident_update_by_staff_token(app, api, community, make_token):
    from forum.incidents import services as incidents
    from forum.models import IncidentUpdate, User

    with app.app_context():
        incident = incidents.open_incident(actor=db.session.get(User, community["care"]["id"]), title="Outage in Leeds",
                                           tags="Leeds", severity="major", body="Investigating.")
        db.session.commit()
        incident_id = incident.id
    listed = api().get("/api/v1/incidents").get_json()
    assert [i["id"] for i in listed["open"]] == [incident_id]
    path = f"/api/v1/incidents/{incident_id}/updates"
    _error(api().post(path, json={"state": "identified", "body": "Found it."}), 401)
    _error(api(make_token(community["care"], scopes=("read", "write"))).post(
        path, json={"state": "identified", "body": "Found it."}), 403, "insufficient_scope")
    _error(api(make_token(community["care"])).post(path, json={"state": "resolved", "body": "x"}), 400)
    resp = api(make_token(community["care"])).post(path, json={"state": "identified", "body": "Found it."})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert _count(app, IncidentUpdate) == 2
    timeline = api().get(f"/api/v1/incidents/{incident_id}").get_json()
    assert timeline["state"] == "identified"
    assert len(timeline["updates"]) == 2


def test_staff_queue(api, community, make_user, category, build, make_token):
    other = make_user("asker")
    with build() as b:
        b.topic(category, other, title="Waiting for help", body="Nobody answered yet.")
    body = api(make_token(community["care"])).get("/api/v1/staff/queue").get_json()
    assert [e["topic"]["title"] for e in body["items"]] == ["Waiting for help"]
    assert body["waiting"] == 1


def test_search(app, api, community):
    body = api().get("/api/v1/search?q=signal").get_json()
    assert body["items"]
    assert body["items"][0]["title"] == "No signal in Leeds"
    _error(api().get("/api/v1/search"), 422)


def test_rate_limit_per_token(app, api, community, make_token, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    token = make_token(community["care"], rate_limit="3/minute")
    other = make_token(community["admin"], rate_limit="3/minute")
    codes = [api(token).get("/api/v1/topics").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    resp = api(token).get("/api/v1/topics")
    _error(resp, 429, "rate_limited")
    assert int(resp.headers["Retry-After"]) >= 1
    assert api(other).get("/api/v1/topics").status_code == 200  # each token has its own budget


def test_cookies_are_ignored(app, community, signed_in, make_token):
    """A signed-in browser's cookie gives the API nothing: no token, a visitor."""
    from forum.api.views import api as api_bp  # noqa: F401

    client = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(client).login("care")
    _error(client.get("/api/v1/staff/queue"), 401)
    resp = client.post(f"/api/v1/topics/{community['topic']}/posts", json={"body": "via cookie"})
    _error(resp, 401)
