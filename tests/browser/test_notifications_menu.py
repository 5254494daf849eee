"""The header's notification menu in a real browser: with JavaScript the link opens the
latest notifications in place (no page load); without, it is the /notifications page.
Opening the topic then clears its notification."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from forum.accounts import services as account_services
from forum.extensions import db
from forum.models import Category
from forum.topics import services as topic_services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _seed(app, tag: str) -> str:
    with app.app_context():
        cat = db.session.query(Category).filter_by(slug="network").one()
        asker = account_services.create_user(username=f"menu_asker_{tag}", email=f"menu_asker_{tag}@example.com",
                                             password=PASSWORD, verified=True)
        care = account_services.create_user(username=f"menu_care_{tag}", email=f"menu_care_{tag}@example.com",
                                            password=PASSWORD, role="staff", verified=True)
        topic = topic_services.create_topic(cat, author=asker, title=f"eSIM will not activate ({tag})", body="Stuck.")
        db.session.commit()
        for body in ("Which phone is it?", "Try the QR code again, please."):
            topic_services.reply_to_topic(topic, author=care, body=body)
            db.session.commit()
        return f"/t/{topic.id}-{topic.slug}"


def _sign_in(page: Page, live, username: str) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(username)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_the_header_menu_and_reading_the_topic(live_server, new_page, javascript):
    tag = "js" if javascript else "nojs"
    _seed(live_server.app, tag)
    page = new_page(javascript=javascript)
    _sign_in(page, live_server, f"menu_asker_{tag}")
    page.goto(live_server.url + "/")
    link = page.locator("#notifications-link")
    expect(link.locator(".count-badge")).to_have_text("1")
    link.click()
    grouped = f"2 new replies in “eSIM will not activate ({tag})”."
    if javascript:
        expect(page.locator("#notifications-menu")).to_be_visible()
        expect(page.locator("#notifications-menu")).to_contain_text(grouped)
        assert page.url == live_server.url + "/"  # no page load
        page.keyboard.press("Escape")
        expect(page.locator("#notifications-menu")).to_be_hidden()
        link.click()
        page.locator("#notifications-menu").get_by_role("button", name=grouped).click()
    else:
        expect(page).to_have_url(live_server.url + "/notifications")
        page.get_by_role("button", name=grouped).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("eSIM will not activate")
    expect(page.locator("#notifications-link .count-badge")).to_have_count(0)
