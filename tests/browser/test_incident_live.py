"""An open incident page shows a new update without a reload (server-sent events and
forum/static/js/incident-live.js); the entry is the server-rendered one."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from forum.accounts import services as account_services
from forum.extensions import db
from forum.incidents import services
from forum.models import Incident, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_an_open_incident_page_updates_live(live_server, new_page):
    live = live_server
    with live.app.app_context():
        staff = account_services.create_user(username="care.live", email="care.live@example.com", password=PASSWORD,
                                             role="staff", verified=True)
        incident = services.open_incident(actor=staff, title="Texts delayed in Belfast", tags="SMS", severity="minor",
                                          body="We are looking into delayed texts.")
        db.session.commit()
        incident_id, staff_id = incident.id, staff.id
    visitor = new_page()
    visitor.goto(f"{live.url}/status/{incident_id}")
    expect(visitor.locator(".incident-update")).to_have_count(1)
    visitor.wait_for_timeout(500)  # the stream is open
    with live.app.test_request_context(base_url=live.url):
        services.post_update(db.session.get(Incident, incident_id), actor=db.session.get(User, staff_id),
                             state="identified", body="A faulty message centre in Belfast.")
        db.session.commit()
    expect(visitor.locator(".incident-update").first).to_contain_text("A faulty message centre in Belfast.")
    expect(visitor.locator(".incident-update")).to_have_count(2)
    expect(visitor.locator("#incident-state")).to_have_text("Identified")
    # The live server is shared with the other journeys: leave no incident open.
    with live.app.test_request_context(base_url=live.url):
        services.resolve_incident(db.session.get(Incident, incident_id), actor=db.session.get(User, staff_id),
                                  summary="Fixed.")
        db.session.commit()
