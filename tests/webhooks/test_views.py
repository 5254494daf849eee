"""/admin/webhooks: admins only, bad input refused with 4xx and nothing stored, the
secret shown once, the test ping, the delivery log; the corpora in what it shows."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import User, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from forum.models.base import utcnow
from forum.webhooks import services
from tests.conftest import csrf_token

PAGES = ["/admin/webhooks/", "/admin/webhooks/new"]


def _count(app, model=WebhookEndpoint):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _form(client, **over):
    data = {"csrf_token": csrf_token(client, "/admin/webhooks/new"), "url": over.pop("url", "http://127.0.0.1:9/x"),
            "description": "CRM intake", "events": ["topic.created", "post.created"], "is_active": "y"}
    data.update(over)
    return data


@pytest.mark.parametrize("role", ["member", "staff", "moderator"])
def test_non_admins_are_refused(app, client, auth, make_user, role, endpoint):
    endpoint_id = endpoint()
    make_user("someone", role=role)
    auth.login("someone")
    for path in [*PAGES, f"/admin/webhooks/{endpoint_id}", f"/admin/webhooks/{endpoint_id}/edit"]:
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/")
    for action in ("ping", "secret", "rotate"):
        assert client.post(f"/admin/webhooks/{endpoint_id}/{action}", data={"csrf_token": token}).status_code == 403
    assert client.post("/admin/webhooks/new", data={"csrf_token": token, "url": "http://127.0.0.1/",
                                                    "events": ["ping"]}).status_code == 403
    assert _count(app, WebhookDelivery) == 0
    assert _count(app) == 1


def test_visitors_go_to_sign_in(client, endpoint):
    endpoint_id = endpoint()
    for path in [*PAGES, f"/admin/webhooks/{endpoint_id}"]:
        resp = client.get(path)
        assert resp.status_code == 302
        assert "/login" in resp.headers["Location"]


def test_admin_registers_an_endpoint_and_sees_the_secret_once(app, client, auth, admin, receiver):
    auth.login("hook_admin")
    resp = client.post("/admin/webhooks/new", data=_form(client, url=receiver.url))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    with app.app_context():
        e = db.session.scalar(select(WebhookEndpoint))
        assert (e.url, e.description, e.events, e.is_active) == (receiver.url, "CRM intake",
                                                                 ["topic.created", "post.created"], True)
        secret = e.secret
    assert secret in html
    assert len(secret) > 30
    page = client.get(f"/admin/webhooks/{e.id}").get_data(as_text=True)
    assert secret not in page  # shown once ...
    revealed = client.post(f"/admin/webhooks/{e.id}/secret", data={"csrf_token": csrf_token(client, "/admin/webhooks/")})
    assert revealed.status_code == 200
    assert secret in revealed.get_data(as_text=True)
    rotated = client.post(f"/admin/webhooks/{e.id}/rotate", data={"csrf_token": csrf_token(client, "/admin/webhooks/")})
    with app.app_context():
        new_secret = db.session.get(WebhookEndpoint, e.id).secret
    assert new_secret != secret
    assert new_secret in rotated.get_data(as_text=True)
    # The test ping goes through the queue to the receiver, signed with the new secret.
    receiver.secret = new_secret
    resp = client.post(f"/admin/webhooks/{e.id}/ping", data={"csrf_token": csrf_token(client, "/admin/webhooks/")})
    assert resp.status_code == 302
    assert receiver.events == ["ping"]
    assert receiver.requests[0]["signature_ok"]
    log = client.get(f"/admin/webhooks/{e.id}").get_data(as_text=True)
    assert "ping" in log
    assert receiver.requests[0]["json"]["event_id"] in log
    assert "200" in log


@pytest.mark.parametrize("over", [
    {"url": "ftp://example.com/hook"},
    {"url": "not a url"},
    {"url": ""},
    {"url": "http://user:secret@127.0.0.1/"},
    {"url": "http://127.0.0.1:99999/"},
    {"url": "https://" + "a" * 600 + ".example/"},
    {"events": []},
    {"events": ["topic.created", "users.everything"]},
    {"description": "x" * 501},
    {"description": "nul \x00 inside"},
], ids=lambda o: next(iter(o)) + ":" + str(next(iter(o.values())))[:20])
def test_bad_input_is_refused_and_nothing_stored(app, client, auth, admin, over):
    auth.login("hook_admin")
    resp = client.post("/admin/webhooks/new", data=_form(client, **over))
    assert 400 <= resp.status_code < 500
    assert _count(app) == 0


def test_private_address_refused_unless_allowed(app, client, auth, admin):
    auth.login("hook_admin")
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    for url in ["http://127.0.0.1/x", "http://169.254.169.254/latest/", "http://localhost/", "http://[::1]/",
                "http://10.0.0.8/"]:
        resp = client.post("/admin/webhooks/new", data=_form(client, url=url))
        assert resp.status_code == 422, url
        assert "public addresses" in resp.get_data(as_text=True), url
    assert _count(app) == 0


def test_missing_csrf_is_refused(app, client, auth, admin, endpoint):
    endpoint_id = endpoint()
    auth.login("hook_admin")
    data = _form(client)
    del data["csrf_token"]
    assert client.post("/admin/webhooks/new", data=data).status_code == 400
    assert client.post(f"/admin/webhooks/{endpoint_id}/ping").status_code == 400
    assert _count(app) == 1
    assert _count(app, WebhookDelivery) == 0


def test_bad_ids_and_pages(client, auth, admin, endpoint):
    endpoint_id = endpoint()
    auth.login("hook_admin")
    assert client.get("/admin/webhooks/999999").status_code == 404
    assert client.get("/admin/webhooks/abc").status_code == 404
    assert client.get(f"/admin/webhooks/{endpoint_id}?page=0").status_code == 404
    assert client.get(f"/admin/webhooks/{endpoint_id}?page=x").status_code == 404
    assert client.get(f"/admin/webhooks/{endpoint_id}?page=2").status_code == 200


def test_edit_and_switch_off(app, client, auth, admin, endpoint, receiver):
    endpoint_id = endpoint()
    auth.login("hook_admin")
    resp = client.post(f"/admin/webhooks/{endpoint_id}/edit", data=_form(client, url=receiver.url, events=["incident.opened"],
                                                                          is_active=""))
    assert resp.status_code == 302
    with app.app_context():
        e = db.session.get(WebhookEndpoint, endpoint_id)
        assert e.events == ["incident.opened"]
        assert not e.is_active
    resp = client.post(f"/admin/webhooks/{endpoint_id}/ping", data={"csrf_token": csrf_token(client, "/admin/webhooks/")})
    assert resp.status_code == 302
    assert receiver.requests == []
    assert _count(app, WebhookDelivery) == 0
    bad = client.post(f"/admin/webhooks/{endpoint_id}/edit", data=_form(client, url="gopher://x/"))
    assert bad.status_code == 422
    with app.app_context():
        assert db.session.get(WebhookEndpoint, endpoint_id).url == receiver.url


# --- the corpora in the endpoint description and the delivery log ------------------


def test_corpus_in_descriptions_and_the_delivery_log(app, client, auth, admin, receiver, endpoint):
    from tests.corpus import load_corpus
    from tests.test_security_corpus import CORPUS_DIR, CORPUS_FILES, assert_page_safe

    entries = [e for name in CORPUS_FILES if (CORPUS_DIR / name).is_file() for e in load_corpus(name, CORPUS_DIR)]
    if not entries:
        pytest.skip("security corpus not found")
    endpoint_id = endpoint(["topic.created"])
    app.config["WEBHOOKS_LOG_PER_PAGE"] = len(entries) + 10
    stored = 0
    with app.app_context():
        actor = db.session.get(User, admin["id"])
        e = db.session.get(WebhookEndpoint, endpoint_id)
        now = utcnow()
        for entry in entries:
            try:
                services.create_endpoint(actor=actor, url=receiver.url, description=entry.text, events=["incident.opened"])
                stored += 1
            except services.WebhookError:
                pass  # too long or a NUL: refused, nothing written
            row = WebhookDelivery(endpoint_id=e.id, event="ping", event_id="0" * 36, body="{}", state="failed",
                                  attempts=1, created_at=now)
            db.session.add(row)
            db.session.flush()
            db.session.add(WebhookAttempt(delivery_id=row.id, endpoint_id=e.id, number=1, status_code=500,
                                          response_excerpt=entry.text.replace("\x00", "\ufffd"), error=None,
                                          duration_ms=1, created_at=now))
            row.event_id = f"{row.id:036d}"
        db.session.commit()
    assert stored > len(entries) * 0.9
    auth.login("hook_admin")
    assert_page_safe(client.get("/admin/webhooks/"), "endpoint list with every corpus entry as a description")
    assert_page_safe(client.get(f"/admin/webhooks/{endpoint_id}"), "delivery log with every corpus entry as a response")
    # And a few through the real receiver: what it answers is shown escaped.
    # (answered with 200: ten failures in a row would switch the endpoint off)
    for entry in entries[:: max(1, len(entries) // 15)]:
        receiver.body = entry.text.encode("utf-8", "replace")
        client.post(f"/admin/webhooks/{endpoint_id}/ping", data={"csrf_token": csrf_token(client, "/admin/webhooks/")})
    assert len(receiver.requests) >= 15
    assert_page_safe(client.get(f"/admin/webhooks/{endpoint_id}"), "delivery log with corpus responses")
