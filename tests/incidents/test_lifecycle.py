"""The incident lifecycle through the pages: open, update, correct, resolve with a
summary, publish it as an announcement; the banner appearing and going."""

from __future__ import annotations

from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Category, Incident, IncidentTopic, IncidentUpdate, IncidentUpdateRevision, Topic
from tests.incidents.conftest import incident_state
from tests.topics.dom import page


def _banner(client, path="/"):
    return page(client.get(path)).find(id="incident-banner")


def test_full_lifecycle_and_banner(app, client, signed_in, post_form, category):
    assert _banner(client) is None
    signed_in("staff")
    resp = post_form(
        "/status/new",
        {
            "title": "No 2G/3G service in parts of the UK",
            "tags": "2G, 3G, Scotland, 3g",
            "severity": "critical",
            "state": "investigating",
            "body": "Customers in **Scotland** cannot connect. Next update in 30 minutes.",
        },
        token_from="/status/new",
    )
    assert resp.status_code == 302
    path = resp.location
    with app.app_context():
        incident = db.session.scalar(select(Incident))
        assert path == f"/status/{incident.id}"
        assert incident.tags == "2G, 3G, Scotland"  # duplicates dropped, case-insensitively
        iid = incident.id

    # The banner shows on every page (home, a board, the status page), with state and time.
    for where in ("/", f"/c/{category['slug']}", "/status"):
        banner = _banner(client, where)
        assert banner is not None, where
        assert "No 2G/3G service in parts of the UK" in banner.text
        assert "Investigating" in banner.text
        assert banner.find("time") is not None
        assert banner.find("a").get("href") == path

    doc = page(client.get(path))
    assert doc.one(id="incident-state").text == "Investigating"
    assert doc.one("h1").text == "No 2G/3G service in parts of the UK"
    update = doc.one("article", cls="incident-update")
    assert update.find("strong").text == "Scotland"
    assert "Customer Care" in update.find("span", cls="badge").text  # who posted, with their badge

    # A second update moves the state; the newest is on top.
    resp = post_form(f"{path}/updates", {"state": "identified", "body": "A faulty switch in Glasgow."}, token_from=path)
    assert resp.status_code == 302
    doc = page(client.get(path))
    texts = [a.find("div", cls="post-body").text.strip() for a in doc.find_all("article", cls="incident-update")]
    assert texts[0] == "A faulty switch in Glasgow."
    assert len(texts) == 2
    assert "Identified" in _banner(client).text

    # A correction is visible: "corrected" mark and the earlier text.
    with app.app_context():
        uid = db.session.scalar(select(IncidentUpdate.id).where(IncidentUpdate.body.startswith("A faulty")))
    resp = post_form(
        f"/status/updates/{uid}/correct",
        {"body": "A faulty switch in Edinburgh.", "reason": "Wrong city"},
        token_from=f"/status/updates/{uid}/correct",
    )
    assert resp.status_code == 302
    doc = page(client.get(path))
    art = doc.one(id=f"u{uid}")
    assert art.find("span", cls="tag-corrected").text == "corrected"
    assert "A faulty switch in Edinburgh." in art.find("div", cls="post-body").text
    earlier = art.one("details", cls="revisions")
    assert "A faulty switch in Glasgow." in earlier.text
    assert "Wrong city" in earlier.text

    # Resolving needs a summary; with one, it is pinned on top, published and linked both ways.
    resp = post_form(f"{path}/resolve", {"summary": "", "publish": "y"}, token_from=f"{path}/resolve")
    assert resp.status_code == 422
    assert "Resolving needs a final summary" in page(resp).one("div", cls="error-summary").text
    assert incident_state(app, iid) == "identified"
    resp = post_form(
        f"{path}/resolve",
        {"summary": "A switch card failed. We replaced it and are adding a spare.", "publish": "y"},
        token_from=f"{path}/resolve",
    )
    assert resp.status_code == 302
    assert incident_state(app, iid) == "resolved"
    assert _banner(client) is None
    assert _banner(client, "/status") is None
    doc = page(client.get(path))
    summary = doc.one("section", cls="incident-summary")
    assert "We replaced it" in summary.text
    topic_link = summary.find("a").get("href")
    with app.app_context():
        topic = db.session.scalar(select(Topic).join(IncidentTopic).where(IncidentTopic.kind == "summary"))
        assert topic.category.slug == "announcements"
        assert topic.title == "Resolved: No 2G/3G service in parts of the UK"
        assert topic_link == f"/t/{topic.id}-{topic.slug}"
        topic_path = topic_link
    notice = page(client.get(topic_path)).one("p", cls="incident-topic-notice")
    assert notice.find("a").get("href") == path
    # The history lists it under past incidents.
    status = page(client.get("/status"))
    assert "All services are running normally." in status.text
    past = [s for s in status.find_all("section") if s.find("h2", id="past-h")][0]
    assert past.find("a").get("href") == path


def test_update_to_resolved_incident_is_refused(app, client, signed_in, post_form, make_incident):
    iid = make_incident(resolved=True)
    signed_in("staff")
    resp = post_form(f"/status/{iid}/updates", {"state": "monitoring", "body": "Still here"}, token_from=f"/status/{iid}")
    assert resp.status_code == 303
    doc = page(client.get(resp.location))
    assert "This incident is resolved, so it takes no more updates" in doc.one("div", cls="flashes").text
    with app.app_context():
        assert db.session.scalar(select(func.count(IncidentUpdate.id)).where(IncidentUpdate.incident_id == iid)) == 2
    # No update form on a resolved incident.
    assert doc.find("section", cls="incident-post-update") is None


def test_service_refuses_update_to_resolved(app, staff, make_incident):
    import pytest

    from forum.incidents import services
    from forum.models import User

    iid = make_incident(resolved=True)
    with app.app_context():
        incident = db.session.get(Incident, iid)
        with pytest.raises(services.IncidentError, match="resolved"):
            services.post_update(incident, actor=db.session.get(User, staff["id"]), state="monitoring", body="x")


def test_publish_later_and_category_reused(app, client, signed_in, post_form, make_incident):
    signed_in("staff")
    with app.app_context():
        db.session.add(Category(name="Announcements", slug="announcements", description="", position=9))
        db.session.commit()
    first, second = make_incident("Outage one", resolved=True), make_incident("Outage two", resolved=True)
    for iid in (first, second):
        resp = post_form(f"/status/{iid}/publish", {}, token_from=f"/status/{iid}")
        assert resp.status_code == 302
    # Publishing twice is refused clearly.
    resp = post_form(f"/status/{first}/publish", {}, token_from=f"/status/{first}")
    assert resp.status_code == 400
    assert "already published" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Category.id)).where(Category.slug == "announcements")) == 1
        assert db.session.scalar(select(func.count(IncidentTopic.id))) == 2


def test_correction_without_change_leaves_no_revision(app, client, signed_in, post_form, incident):
    signed_in("staff")
    with app.app_context():
        update = db.session.scalar(select(IncidentUpdate))
        uid, body = update.id, update.body
    resp = post_form(f"/status/updates/{uid}/correct", {"body": body, "reason": "typo"}, token_from=f"/status/{incident}")
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(IncidentUpdateRevision.id))) == 0
        assert db.session.get(IncidentUpdate, uid).edited_at is None
