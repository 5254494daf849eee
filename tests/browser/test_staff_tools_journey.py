"""Staff tools in a real browser, at phone width and without JavaScript: an agent
claims a topic, leaves an internal note, writes a saved reply and answers with it
(the claim ends); the asker and a visitor never see the note, and search never finds it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from forum.accounts import services as account_services
from forum.extensions import db
from forum.models import Category
from forum.topics import services as topic_services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _seed(app, tag: str) -> str:
    with app.app_context():
        cat = db.session.query(Category).filter_by(slug="network").one()
        asker = account_services.create_user(username=f"tools_asker_{tag}", email=f"tools_asker_{tag}@example.com",
                                             password=PASSWORD, role="member", verified=True)
        asker.display_name = f"Mia {tag}"
        account_services.create_user(username=f"tools_care_{tag}", email=f"tools_care_{tag}@example.com",
                                     password=PASSWORD, role="staff", verified=True)
        topic = topic_services.create_topic(cat, author=asker, title=f"No data after top-up ({tag})",
                                            body="Topped up yesterday, still no mobile data.")
        db.session.commit()
        return f"/t/{topic.id}-{topic.slug}"


def _sign_in(page: Page, live, username: str) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(username)


@pytest.mark.parametrize("javascript", [False, True], ids=["nojs", "js"])
def test_claim_note_saved_reply_and_answer(live_server, new_page, javascript):
    tag = "js" if javascript else "nojs"
    path = _seed(live_server.app, tag)
    secret = f"quokkaledger{tag}"

    care = new_page(javascript=javascript, viewport=PHONE)
    _sign_in(care, live_server, f"tools_care_{tag}")
    care.goto(live_server.url + path)
    tools = care.locator("section.staff-tools")
    expect(tools.get_by_role("heading", level=2)).to_contain_text("Staff tools")
    tools.get_by_role("button", name="Claim").click()
    expect(care.locator(".flash-success")).to_contain_text("it is yours until you release or answer it")
    expect(care.locator("section.staff-tools")).to_contain_text("Assigned to you")

    care.get_by_label("Internal note (staff only)").fill(f"Top-up stuck in billing, ref {secret}.")
    care.get_by_role("button", name="Add internal note").click()
    expect(care.locator(".flash-success")).to_contain_text("Only staff can see it.")
    expect(care.locator("article.internal-note")).to_contain_text(secret)

    care.goto(live_server.url + "/staff/saved-replies/new")
    care.get_by_label("Title").fill(f"Data after top-up {tag}")
    care.get_by_label("Reply text").fill("Hi {name}, please restart your phone: data comes back within minutes.")
    care.get_by_role("button", name="Save").click()
    expect(care.locator(".flash-success")).to_contain_text("Saved reply added.")

    care.goto(live_server.url + path)
    care.get_by_role("link", name="Reply with a saved reply").click()
    care.get_by_label(f"Data after top-up {tag}").check()
    care.get_by_role("button", name="Fill the reply form").click()
    expect(care.get_by_label("Your reply")).to_have_value(
        f"Hi Mia {tag}, please restart your phone: data comes back within minutes.")
    care.get_by_role("button", name="Post reply").click()
    expect(care.locator(".flash-success")).to_contain_text("Your reply is posted.")
    answer = care.locator("article.post", has_text="please restart your phone")
    expect(answer.locator(".badge")).to_be_visible()
    expect(care.locator("section.staff-tools")).to_contain_text("Unassigned")  # answering ended the claim

    # The asker and a visitor: no note, no staff tools; search does not find it.
    asker = new_page(javascript=javascript, viewport=PHONE)
    _sign_in(asker, live_server, f"tools_asker_{tag}")
    asker.goto(live_server.url + path)
    expect(asker.locator("article.post", has_text="please restart your phone")).to_be_visible()
    expect(asker.locator("main")).not_to_contain_text(secret)
    expect(asker.locator("section.staff-tools")).to_have_count(0)
    visitor = new_page(javascript=javascript)
    visitor.goto(live_server.url + path)
    expect(visitor.locator("main")).not_to_contain_text(secret)
    visitor.goto(live_server.url + f"/search?q={secret}")
    expect(visitor.locator("ol.search-results li")).to_have_count(0)
