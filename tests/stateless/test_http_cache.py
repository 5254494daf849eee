"""Visitors' pages set no cookie and are public for a CDN; signed-in pages are private.

The crawl forgets its cookies before every request, as a CDN's first visitor would
arrive: any page that still starts a session must be one that shows a form (sign-in,
registration, reset), and then it is private."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.demo import DEMO_PASSWORD
from forum.extensions import db
from forum.incidents import services as incident_services
from forum.models import Topic, User
from tests.conftest import AuthActions
from tests.test_crawl import crawl
from tests.topics.dom import page

#: Pages that exist to show a form to visitors: they start a session (the CSRF token).
FORM_PAGES = ("/login", "/register", "/reset")


@pytest.fixture
def demo_with_open_incident(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        priya = db.session.scalar(select(User).where(User.username == "care.priya"))
        incident = incident_services.open_incident(actor=priya, title="No data in Leeds", tags="4G", severity="major",
                                                   body="We are investigating.")
        db.session.commit()
        topic = db.session.scalar(select(Topic).order_by(Topic.id))
        return {"incident": incident.id, "topic": topic.id}


def _record(client):
    seen: dict[str, object] = {}
    get = client.get

    def fresh_get(path, *args, **kwargs):
        client._cookies.clear()  # every request arrives like a CDN's first visitor
        resp = get(path, *args, **kwargs)
        seen[path] = resp
        return resp

    client.get = fresh_get
    return seen


def test_every_visitor_page_is_cookie_free_and_public(app, client, demo_with_open_incident):
    seen = _record(client)
    crawl(client)
    for extra in ("/search?q=roaming", "/search", f"/status/{demo_with_open_incident['incident']}"):
        client.get(extra)
    assert len(seen) > 40
    problems = []
    for path, resp in seen.items():
        cookies = resp.headers.getlist("Set-Cookie")
        control = resp.headers.get("Cache-Control", "")
        if path.split("?")[0] in FORM_PAGES:
            if control != "private, no-store":
                problems.append(f"{path}: a form page is {control!r}")
            continue
        if cookies:
            problems.append(f"{path}: sets {[c.split('=')[0] for c in cookies]}")
        if not control.startswith("public, max-age="):
            problems.append(f"{path}: Cache-Control {control!r}")
        if "Cookie" not in resp.headers.get("Vary", ""):
            problems.append(f"{path}: no Vary: Cookie")
        if 'name="csrf_token"' in resp.get_data(as_text=True):
            problems.append(f"{path}: carries a CSRF token")
    assert not problems, "\n".join(problems)
    visited = " ".join(seen)
    for kind in ("/t/", "/c/", "/status/", "/ask/", "/u/", "/search?q="):
        assert kind in visited, kind


def test_signed_in_pages_are_private(app, client, demo_with_open_incident):
    assert AuthActions(client).login("jess_k", DEMO_PASSWORD).status_code == 302
    seen = {}
    get = client.get

    def recording_get(path, *args, **kwargs):
        seen[path] = resp = get(path, *args, **kwargs)
        return resp

    client.get = recording_get
    crawl(client, limit=150)
    assert len(seen) > 40
    public = [p for p, r in seen.items() if "public" in r.headers.get("Cache-Control", "") and not p.endswith(".atom")
              and not p.startswith("/brand.css")]
    assert public == []
    assert seen["/"].headers["Cache-Control"] == "private, no-store"


def test_a_visitor_sees_sign_in_links_where_members_see_forms(app, client, demo_with_open_incident):
    topic, incident = demo_with_open_incident["topic"], demo_with_open_incident["incident"]
    for path in (f"/t/{topic}", f"/status/{incident}"):
        doc = page(client.get(path))
        assert [f for f in doc.find_all("form") if f.get("method") == "post"] == []
        assert any("Sign in" in a.text for a in doc.find_all("a"))
    member = app.test_client()
    assert AuthActions(member).login("jess_k", DEMO_PASSWORD).status_code == 302
    doc = page(member.get(f"/t/{topic}"))
    assert any(f.get("action") == f"/t/{topic}/reply" for f in doc.find_all("form"))


def test_a_flash_or_a_cookie_is_never_public(app, client, demo_with_open_incident):
    with client.session_transaction() as sess:
        sess["_flashes"] = [("info", "Only for you")]
    resp = client.get("/")
    assert "Only for you" in resp.get_data(as_text=True)
    assert resp.headers["Cache-Control"] == "private, no-store"


def test_a_view_that_sets_a_cookie_is_private_even_if_it_asked_for_public(app):
    from flask import make_response

    from forum.httpcache import set_cache_control

    with app.test_request_context("/anything"):
        resp = make_response("x")
        resp.headers["Cache-Control"] = "public, max-age=60"
        resp.set_cookie("tracker", "1")
        assert set_cache_control(resp).headers["Cache-Control"] == "private, no-store"
