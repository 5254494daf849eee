"""The journey the issue names, in a real browser with JavaScript off: a moderator
hides a post with a reason; the member sees the placeholder and the log entry, and
appeals."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from forum.accounts import services as account_services
from forum.extensions import db
from forum.models import Category
from forum.topics import services as topics
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page: Page, live, username: str) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(username)


def test_hide_placeholder_log_and_appeal(live_server, new_page):
    live = live_server
    with live.app.app_context():
        member = account_services.create_user(username="mod_journey_member", email="mjm@example.com",
                                              password=PASSWORD, verified=True)
        account_services.create_user(username="mod_journey_mona", email="mjmona@example.com", password=PASSWORD,
                                     role="moderator", verified=True)
        category = db.session.query(Category).filter_by(slug="network").one()
        topic = topics.create_topic(category, author=member, title="Bill shows roaming charges",
                                    body="I was never abroad.")
        reply = topics.reply_to_topic(topic, author=member, body="My account number is 12345678.")
        db.session.commit()
        topic_url, reply_id = f"{live.url}/t/{topic.id}", reply.id

    mod_page = new_page(javascript=False)
    _sign_in(mod_page, live, "mod_journey_mona")
    mod_page.goto(topic_url)
    mod_page.locator(f"#p{reply_id}").get_by_role("link", name="Hide").click()
    mod_page.get_by_label("Reason").fill("Account number exposed")
    mod_page.get_by_role("button", name="Hide this post").click()
    expect(mod_page.locator(".flash-success")).to_contain_text("The post is hidden.")

    reader = new_page(javascript=False)
    reader.goto(topic_url)
    expect(reader.locator(f"#p{reply_id} .post-hidden")).to_contain_text("Hidden by a moderator: Account number exposed")
    expect(reader.locator(f"#p{reply_id}")).not_to_contain_text("12345678")

    page = new_page(javascript=False)
    _sign_in(page, live, "mod_journey_member")
    page.goto(topic_url)
    post = page.locator(f"#p{reply_id}")
    expect(post.locator(".post-hidden")).to_contain_text("Account number exposed")
    post.get_by_role("link", name="see the moderation log").click()
    row = page.locator("table.modlog tbody tr").first
    expect(row).to_contain_text("Hid a post")
    expect(row).to_contain_text("Account number exposed")
    expect(row).to_contain_text("mod_journey_mona (Moderator)")

    page.goto(topic_url)
    page.locator(f"#p{reply_id}").get_by_role("link", name="Appeal").click()
    page.get_by_label("Why should the decision change?").fill("It is an old, closed account.")
    page.get_by_role("button", name="Send appeal").click()
    expect(page.locator(".flash-success")).to_contain_text("Your appeal is sent.")

    mod_page.goto(live.url + "/mod/review")
    expect(mod_page.locator("section.appeal")).to_contain_text("It is an old, closed account.")
