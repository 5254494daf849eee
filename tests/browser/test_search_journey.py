"""Similar resolved topics while asking, in a real browser: a member types a title on
the new-topic form, sees a resolved topic that answers it, and opens it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from forum.accounts import services as account_services
from forum.extensions import db
from forum.models import Category, SearchDeflection
from forum.topics import services as topic_services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_member_finds_a_similar_resolved_topic_while_asking(live_server, new_page):
    from forum.helpdesk import services as helpdesk  # after forum.topics: the packages import each other

    app = live_server.app
    with app.app_context():
        cat = db.session.query(Category).filter_by(slug="network").one()
        author = account_services.create_user(username="srch_author", email="srch_author@example.com",
                                              password=PASSWORD, verified=True)
        care = account_services.create_user(username="srch_care", email="srch_care@example.com", password=PASSWORD,
                                            role="staff", verified=True)
        account_services.create_user(username="srch_asker", email="srch_asker@example.com", password=PASSWORD,
                                     verified=True)
        topic = topic_services.create_topic(cat, author=author, title="Visual voicemail stopped syncing",
                                            body="The voicemail app shows nothing since the update.")
        answer = topic_services.reply_to_topic(topic, author=care,
                                               body="Turn wifi calling off and on again; the sync then resumes.")
        db.session.commit()
        helpdesk.mark_official_answer(answer, actor=care, reason="Confirmed by the voicemail team.")
        db.session.commit()
        topic_id = topic.id

    page = new_page(javascript=True)
    page.goto(live_server.url + "/login")
    page.get_by_label("Username or email").fill("srch_asker")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("srch_asker")

    page.goto(live_server.url + "/c/network/new")
    page.get_by_label("Title").press_sequentially("voicemail not syncing", delay=20)
    suggestion = page.locator("#similar-topics a", has_text="Visual voicemail stopped syncing")
    expect(suggestion).to_be_visible()
    expect(page.locator("#similar-topics")).to_contain_text("Resolved")
    expect(page.locator("#similar-topics")).to_contain_text("Turn wifi calling off and on again")
    suggestion.click()
    expect(page).to_have_url(f"{live_server.url}/t/{topic_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Visual voicemail stopped syncing")
    with app.app_context():
        assert sum(r.opens for r in db.session.query(SearchDeflection)) == 1
