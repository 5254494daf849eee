"""Following and notifications, Atom feeds, duplicate deflection on the new-topic
form, and staff moving topics into an incident (with the public log)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.incidents import services
from forum.models import Incident, IncidentTopic, ModerationLogEntry, Notification, User
from tests.topics.dom import page

ATOM = "{http://www.w3.org/2005/Atom}"


def _notes(app, user_id):
    with app.app_context():
        return [
            (n.kind, n.text, n.url)
            for n in db.session.scalars(select(Notification).where(Notification.user_id == user_id).order_by(Notification.id))
        ]


def test_followers_notified_of_every_update(app, client, signed_in, post_form, make_user, staff, incident):
    follower = make_user("follower")
    bystander = make_user("bystander")
    with app.app_context():
        services.follow_incident(db.session.get(Incident, incident), user=db.session.get(User, follower["id"]))
        db.session.commit()
    signed_in("executive")
    path = f"/status/{incident}"
    assert post_form(f"{path}/updates", {"state": "identified", "body": "Cause found."}, token_from=path).status_code == 302
    assert post_form(f"{path}/updates", {"state": "monitoring", "body": "Fix deployed."}, token_from=path).status_code == 302
    assert post_form(f"{path}/resolve", {"summary": "All fixed."}, token_from=f"{path}/resolve").status_code == 302
    notes = _notes(app, follower["id"])
    assert [n[0] for n in notes] == ["incident_update"] * 3
    assert notes[0][1].startswith("Identified: new update")
    assert notes[2][1].startswith("Resolved:")
    assert all(n[2] == path for n in notes)
    assert _notes(app, bystander["id"]) == []
    # The staff member who opened it follows it automatically.
    assert len(_notes(app, staff["id"])) == 3


def test_follow_and_unfollow_through_the_page(app, client, signed_in, post_form, staff, incident):
    member = signed_in("member")
    path = f"/status/{incident}"
    doc = page(client.get(path))
    follow = [f for f in doc.find_all("form") if f.get("action") == f"{path}/follow"]
    assert follow[0].one("button").text == "Follow updates"
    assert post_form(f"{path}/follow", {}, token_from=path).status_code == 302
    assert post_form(f"{path}/follow", {}, token_from=path).status_code == 302  # twice is harmless
    assert "You follow this incident." in page(client.get(path)).text
    with app.app_context():
        services.post_update(
            db.session.get(Incident, incident), actor=db.session.get(User, staff["id"]), state="identified", body="x"
        )
        db.session.commit()
    assert len(_notes(app, member["id"])) == 1
    assert post_form(f"{path}/unfollow", {}, token_from=path).status_code == 302
    with app.app_context():
        services.post_update(
            db.session.get(Incident, incident), actor=db.session.get(User, staff["id"]), state="monitoring", body="y"
        )
        db.session.commit()
    assert len(_notes(app, member["id"])) == 1


def _parse_atom(resp):
    assert resp.status_code == 200
    assert resp.mimetype == "application/atom+xml"
    root = ET.fromstring(resp.get_data())
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None, required
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:
        for required in ("id", "title", "updated", "content", "author"):
            assert entry.find(f"{ATOM}{required}") is not None, required
    return root, entries


def test_feeds_are_valid_atom(app, client, staff, make_incident):
    first = make_incident("Roaming data down in France")
    make_incident("Voicemail unavailable", resolved=True)
    with app.app_context():
        services.post_update(
            db.session.get(Incident, first), actor=db.session.get(User, staff["id"]), state="identified", body="Partner **fault**."
        )
        db.session.commit()
    root, entries = _parse_atom(client.get(f"/status/{first}.atom"))
    assert "Roaming data down in France" in root.find(f"{ATOM}title").text
    assert [e.find(f"{ATOM}title").text for e in entries] == [
        "Roaming data down in France: Identified",
        "Roaming data down in France: Investigating",
    ]
    assert "<strong>fault</strong>" in entries[0].find(f"{ATOM}content").text
    assert entries[0].find(f"{ATOM}author").find(f"{ATOM}name").text == "care.priya"
    _, all_entries = _parse_atom(client.get("/status.atom"))
    titles = [e.find(f"{ATOM}title").text for e in all_entries]
    assert "Voicemail unavailable: Resolved" in titles
    assert len(all_entries) == 4
    assert len({e.find(f"{ATOM}id").text for e in all_entries}) == 4
    assert client.get("/status/999999.atom").status_code == 404


def test_empty_status_feed_is_valid(client):
    _, entries = _parse_atom(client.get("/status.atom"))
    assert entries == []


def test_new_topic_form_deflects_to_open_incidents(app, client, signed_in, category, make_incident):
    signed_in("member")
    doc = page(client.get(f"/c/{category['slug']}/new"))
    assert doc.find("section", cls="incident-deflect") is None
    iid = make_incident("No data in Cardiff")
    doc = page(client.get(f"/c/{category['slug']}/new"))
    section = doc.one("section", cls="incident-deflect")
    assert section.one("h2").text == "Is your problem one of these?"
    assert section.find("a").get("href") == f"/status/{iid}"
    form = section.one("form")
    assert form.get("action") == f"/status/{iid}/affected"
    token = form.find("input").get("value")
    resp = client.post(form.get("action"), data={"csrf_token": token})
    assert resp.status_code == 302
    assert page(client.get(f"/status/{iid}")).one(id="affected-count").text == "1"
    # The form itself is still there for other problems.
    assert doc.find("form", cls="stacked") is not None


@pytest.fixture
def member_topic(build, make_user, category):
    author = make_user("jess_k")
    with build() as b:
        t = b.topic(category, author, title="No signal at all in Glasgow")
        return {"id": t.id, "path": f"/t/{t.id}-{t.slug}", "author": author}


def test_staff_move_topic_into_incident(app, client, signed_in, post_form, incident, member_topic):
    signed_in("moderator")
    path = f"/status/{incident}"
    resp = post_form(f"{path}/link", {"topic": member_topic["path"], "reason": ""}, token_from=path)
    assert resp.status_code == 422
    assert "Give a reason" in page(resp).one("div", cls="error-summary").text
    resp = post_form(
        f"{path}/link", {"topic": f"http://localhost{member_topic['path']}", "reason": "Same outage"}, token_from=path
    )
    assert resp.status_code == 302
    notice = page(client.get(member_topic["path"])).one("p", cls="incident-topic-notice")
    assert notice.find("a").get("href") == path
    assert "No signal at all in Glasgow" in page(client.get(path)).one("section", cls="linked-topics").text
    with app.app_context():
        entry = db.session.scalar(select(ModerationLogEntry))
        assert (entry.action, entry.reason, entry.topic_id) == ("link_topic_to_incident", "Same outage", member_topic["id"])
        assert entry.subject_user_id == member_topic["author"]["id"]
    # The author is told and follows the incident.
    assert [n[0] for n in _notes(app, member_topic["author"]["id"])] == ["incident_link"]
    # A topic joins one incident only.
    resp = post_form(f"{path}/link", {"topic": str(member_topic["id"]), "reason": "again"}, token_from=path)
    assert resp.status_code == 422
    assert f"already linked to incident #{incident}" in resp.get_data(as_text=True)


@pytest.mark.parametrize("ref", ["/t/99999", "not a topic", "99999999999999"])
def test_link_bad_topic_reference(app, client, signed_in, post_form, incident, ref):
    signed_in("staff")
    resp = post_form(f"/status/{incident}/link", {"topic": ref, "reason": "dup"}, token_from=f"/status/{incident}")
    assert resp.status_code == 422
    assert "There is no such topic" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(IncidentTopic.id))) == 0
