"""The incident journey in a real browser: staff open an incident, the banner appears
on the home page, a member presses "I'm affected", staff post an update and resolve
it, and the banner goes. Runs without JavaScript: every step is a plain form.

(Here rather than in tests/incidents/ so that it shares the session's one Playwright
and live server with the other journeys.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from forum.accounts import services as account_services
from forum.extensions import db
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page: Page, live, username: str) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(username)


def test_incident_journey(live_server, new_page):
    live = live_server
    with live.app.app_context():
        for username, role in (("care.ellie", "staff"), ("member.max", "member")):
            account_services.create_user(
                username=username, email=f"{username}@example.com", password=PASSWORD, role=role, verified=True
            )
        db.session.commit()
    staff = new_page(javascript=False)
    member = new_page(javascript=False)
    _sign_in(staff, live, "care.ellie")
    _sign_in(member, live, "member.max")

    member.goto(live.url + "/")
    expect(member.locator("#incident-banner")).to_have_count(0)

    # Staff open the incident.
    staff.goto(live.url + "/status/new")
    staff.get_by_label("Title").fill("No 2G/3G service in parts of the UK")
    staff.get_by_label("Affected services or regions").fill("2G, 3G")
    staff.get_by_label("Severity").select_option("critical")
    staff.get_by_label("First update").fill("We know about it and are investigating.")
    staff.get_by_role("button", name="Open incident").click()
    expect(staff.locator(".flash-success")).to_contain_text("The incident is open")
    incident_url = staff.url

    # The banner appears on the member's home page, with the state.
    member.goto(live.url + "/")
    banner = member.locator("#incident-banner")
    expect(banner).to_contain_text("No 2G/3G service in parts of the UK")
    expect(banner).to_contain_text("Investigating")
    banner.get_by_role("link", name="No 2G/3G service in parts of the UK").click()
    assert member.url == incident_url

    # The member presses "I'm affected" with their area.
    expect(member.locator("#affected-count")).to_have_text("0")
    member.get_by_label("Your area (optional)").select_option("scotland")
    member.get_by_role("button", name="I'm affected").click()
    expect(member.locator(".flash-success")).to_contain_text("you are counted as affected")
    expect(member.locator("#affected-count")).to_have_text("1")
    expect(member.locator("#affected-mine")).to_contain_text("Scotland")

    # Staff post an update; the member sees it and the new state in the banner.
    staff.goto(incident_url)
    staff.get_by_label("State").select_option("monitoring")
    staff.get_by_label("Update", exact=True).fill("A fix is in place; we are monitoring.")
    staff.get_by_role("button", name="Post update").click()
    expect(staff.locator(".flash-success")).to_contain_text("Update posted")
    member.goto(live.url + "/")
    expect(member.locator("#incident-banner")).to_contain_text("Monitoring")

    # Staff resolve it with a summary; the banner goes.
    staff.goto(incident_url)
    staff.get_by_role("link", name="Resolve…").click()
    staff.get_by_label("Final summary: what happened and what we will do").fill("A faulty card. Replaced; spare added.")
    staff.get_by_role("button", name="Resolve incident").click()
    expect(staff.locator(".flash-success")).to_contain_text("Resolved")
    expect(staff.locator("#incident-banner")).to_have_count(0)
    member.goto(live.url + "/")
    expect(member.locator("#incident-banner")).to_have_count(0)
    member.goto(incident_url)
    expect(member.locator(".incident-summary")).to_contain_text("A faulty card.")
    expect(member.locator("#incident-state")).to_have_text("Resolved")
    # The member was notified of the update and the resolution.
    member.goto(live.url + "/notifications")
    expect(member.locator("main")).to_contain_text("Resolved:")
