"""Browser journey: Customer Care starts a private conversation from a member's topic,
the member replies, and the topic shows the public notice (never the content).
Runs with JavaScript on and off: it is all plain forms and links."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from forum.accounts import services as accounts
from forum.extensions import db
from forum.models import Category
from forum.topics import services as topics
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page: Page, url: str, username: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(username)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_staff_contact_member_privately_from_topic(live_server, new_page, javascript):
    tag = "js" if javascript else "nojs"
    member_name, staff_name = f"mia_{tag}", f"carer_{tag}"
    with live_server.app.app_context():
        member = accounts.create_user(username=member_name, email=f"{member_name}@example.com", password=PASSWORD,
                                      verified=True)
        staff = accounts.create_user(username=staff_name, email=f"{staff_name}@example.com", password=PASSWORD,
                                     role="staff", verified=True)
        staff.display_name = "Priya from Customer Care"
        category = db.session.scalar(select(Category).where(Category.slug == "network"))
        topic = topics.create_topic(category, author=member, title=f"Bill doubled this month ({tag})",
                                    body="My bill is twice what it should be.")
        db.session.commit()
        topic_path = f"/t/{topic.id}"

    # Customer Care opens the topic and starts a private conversation from it.
    care = new_page(javascript=javascript)
    sign_in(care, live_server.url, staff_name)
    care.goto(live_server.url + topic_path)
    expect(care.locator(".private-contact")).to_have_count(0)
    care.get_by_role("link", name=f"Message {member_name} privately about this topic").click()
    expect(care.get_by_role("heading", level=1)).to_have_text(f"Message {member_name} privately")
    care.get_by_label("Message").fill("Hi, I can see the **double charge**. Can you confirm your billing postcode?")
    notice_box = care.get_by_label("Show a public notice on the topic", exact=False)
    expect(notice_box).to_be_checked()
    care.get_by_role("button", name="Send privately").click()
    expect(care.locator(".flash-success")).to_contain_text("Your message is sent.")
    expect(care.locator("article.message")).to_contain_text("double charge")

    # The member sees an unread conversation in the header, reads it, and replies.
    mia = new_page(javascript=javascript)
    sign_in(mia, live_server.url, member_name)
    messages_link = mia.get_by_role("navigation", name="Account").get_by_role("link", name="Messages")
    expect(messages_link).to_contain_text("1")
    messages_link.click()
    mia.get_by_role("link", name=f"About your topic: Bill doubled this month ({tag})").click()
    first = mia.locator("article.message").first
    expect(first).to_contain_text("Priya · Customer Care")
    expect(first).not_to_contain_text(staff_name)
    mia.get_by_label("Your message").fill("Thanks! It is LS1 4DY.")
    mia.get_by_role("button", name="Send").click()
    expect(mia.locator(".flash-success")).to_contain_text("Your message is sent.")
    expect(mia.locator("article.message")).to_have_count(2)
    expect(mia.get_by_role("navigation", name="Account").get_by_role("link", name="Messages")).to_have_text("Messages")

    # The topic shows the public notice, never the content, to anyone; "contacted you" only to the asker.
    reader = new_page(javascript=javascript)
    reader.goto(live_server.url + topic_path)
    expect(reader.locator(".private-contact")).to_have_text("Customer Care is handling this privately.")
    expect(reader.locator("main")).not_to_contain_text("double charge")
    expect(reader.locator("main")).not_to_contain_text("LS1 4DY")

    # Customer Care sees the reply, under the member's own name.
    care.reload()
    expect(care.locator("article.message").nth(1)).to_contain_text(member_name)
    expect(care.locator("article.message").nth(1)).to_contain_text("LS1 4DY")
