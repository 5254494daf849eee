"""Who may do what on the status pages, and bad input at every entry point."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Incident, IncidentUpdate
from tests.conftest import csrf_token
from tests.topics.conftest import ROLES, STAFF_ROLES
from tests.topics.dom import page

NEW = {"title": "Calls failing in London", "tags": "voice", "severity": "major", "state": "investigating", "body": "Looking."}


def _staff_posts(iid):
    return [
        ("/status/new", NEW),
        (f"/status/{iid}/updates", {"state": "identified", "body": "Found it."}),
        (f"/status/{iid}/resolve", {"summary": "Fixed."}),
        (f"/status/{iid}/link", {"topic": "1", "reason": "dup"}),
    ]


@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_staff_actions_matrix(app, client, signed_in, incident, role):
    if role != "anonymous":
        signed_in(role)
    token = csrf_token(client, "/status") if role != "anonymous" else None
    for path, data in _staff_posts(incident):
        resp = client.post(path, data={**data, "csrf_token": token} if token else data)
        if role == "anonymous":
            assert resp.status_code in (302, 400), path  # to login (or refused without a token)
            if resp.status_code == 302:
                assert "/login" in resp.location
        elif role in STAFF_ROLES:
            assert resp.status_code in (302, 303, 422), (path, resp.status_code)
        else:
            assert resp.status_code == 403, path
    with app.app_context():
        opened = db.session.scalar(select(func.count(Incident.id)))
    assert opened == (2 if role in STAFF_ROLES else 1)


@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_staff_controls_only_for_staff(client, signed_in, incident, role):
    if role != "anonymous":
        signed_in(role)
    doc = page(client.get(f"/status/{incident}"))
    staff = role in STAFF_ROLES
    assert (doc.find("section", cls="incident-post-update") is not None) == staff
    assert (doc.find("section", cls="linked-topics") is not None) == staff
    assert bool([a for a in doc.find_all("a") if a.get("href") == f"/status/{incident}/resolve"]) == staff
    status = page(client.get("/status"))
    assert bool([a for a in status.find_all("a") if a.get("href") == "/status/new"]) == staff
    assert client.get("/status/new").status_code == (200 if staff else 302 if role == "anonymous" else 403)


@pytest.mark.parametrize(
    "path",
    ["/status/999999", "/status/999999.atom", "/status/999999/resolve", "/status/updates/999999/correct",
     "/status/99999999999", "/status/abc"],
)
def test_missing_incident_is_404(client, signed_in, path):
    signed_in("staff")
    resp = client.get(path)
    assert resp.status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("body", "", "An incident needs a first update"),
        ("body", "   \n ", "An incident needs a first update"),
        ("title", "", "Give the incident a title."),
        ("title", "abc", "Titles are 5 to 150 characters long."),
        ("title", "x" * 151, "Titles are 5 to 150 characters long."),
        ("severity", "apocalyptic", "Not a valid choice"),
        ("state", "resolved", "Not a valid choice"),
        ("tags", ",".join(f"tag{i}" for i in range(11)), "at most 10 tags"),
        ("tags", "x" * 41, "at most 40 characters"),
        ("body", "nul \x00 here", "NUL character"),
        ("body", "x" * 10_001, "At most 10,000 characters."),
    ],
)
def test_open_incident_bad_input(app, client, signed_in, post_form, field, value, message):
    signed_in("staff")
    resp = post_form("/status/new", {**NEW, field: value}, token_from="/status/new")
    assert resp.status_code == 422
    assert message in page(resp).one("div", cls="error-summary").text
    with app.app_context():
        assert db.session.scalar(select(func.count(Incident.id))) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"state": "identified", "body": ""}, "Write the update first"),
        ({"state": "resolved", "body": "done"}, "Not a valid choice"),
        ({"state": "monitoring", "body": "y" * 10_001}, "At most 10,000 characters."),
    ],
)
def test_update_bad_input(app, client, signed_in, post_form, incident, data, message):
    signed_in("staff")
    resp = post_form(f"/status/{incident}/updates", data, token_from=f"/status/{incident}")
    assert resp.status_code == 422
    assert message in page(resp).one("div", cls="error-summary").text
    with app.app_context():
        assert db.session.scalar(select(func.count(IncidentUpdate.id))) == 1


def test_resolve_without_summary_and_twice(app, client, signed_in, post_form, incident):
    signed_in("staff")
    path = f"/status/{incident}/resolve"
    resp = post_form(path, {"summary": "  "}, token_from=path)
    assert resp.status_code == 422
    assert "Resolving needs a final summary" in resp.get_data(as_text=True)
    assert post_form(path, {"summary": "Fixed it."}, token_from=path).status_code == 302
    resp = client.get(path)
    assert resp.status_code == 302
    assert "already resolved" in client.get(resp.location).get_data(as_text=True)


def test_correction_needs_reason_and_body(app, client, signed_in, post_form, incident):
    signed_in("staff")
    with app.app_context():
        uid = db.session.scalar(select(IncidentUpdate.id))
    path = f"/status/updates/{uid}/correct"
    for data, message in (({"body": "New", "reason": ""}, "Say what the correction fixes"),
                          ({"body": "", "reason": "typo"}, "Write the update first")):
        resp = post_form(path, data, token_from=path)
        assert resp.status_code == 422
        assert message in resp.get_data(as_text=True)


def test_posts_without_csrf_are_refused(app, client, signed_in, incident):
    signed_in("staff")
    for path, data in _staff_posts(incident):
        assert client.post(path, data=data).status_code == 400
    assert client.post(f"/status/{incident}/affected", data={}).status_code == 400


@pytest.mark.parametrize("page_arg", ["0", "-1", "abc", "99"])
def test_status_bad_page(client, page_arg):
    assert client.get(f"/status?page={page_arg}").status_code == 404
