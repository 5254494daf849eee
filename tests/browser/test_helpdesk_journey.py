"""The help-desk journey in a real browser: staff mark an official answer, the author
accepts a solution and answers "Did this solve your problem?". With JavaScript on and off."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from forum.accounts import services as account_services
from forum.extensions import db
from forum.models import Category, ModerationLogEntry, Post, Topic
from forum.topics import services as topic_services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _seed(app, tag: str) -> str:
    with app.app_context():
        cat = db.session.query(Category).filter_by(slug="network").one()
        users = {}
        for name, role in ((f"asker_{tag}", "member"), (f"helper_{tag}", "member"), (f"care_{tag}", "staff")):
            users[name] = account_services.create_user(username=name, email=f"{name}@example.com", password=PASSWORD,
                                                       role=role, verified=True)
        topic = topic_services.create_topic(cat, author=users[f"asker_{tag}"], title=f"Voicemail broken ({tag})",
                                            body="Calls go straight to a busy tone.")
        topic_services.reply_to_topic(topic, author=users[f"helper_{tag}"], body="Dial 443 and reset the greeting.")
        topic_services.reply_to_topic(topic, author=users[f"care_{tag}"], body="We fixed a voicemail fault tonight.")
        db.session.commit()
        return f"/t/{topic.id}-{topic.slug}"


def _sign_in(page: Page, live, username: str) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(username)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_official_answer_solution_and_satisfaction(live_server, new_page, javascript):
    tag = "js" if javascript else "nojs"
    path = _seed(live_server.app, tag)

    # Staff mark Customer Care's reply as the official answer, with a reason.
    care = new_page(javascript=javascript)
    _sign_in(care, live_server, f"care_{tag}")
    care.goto(live_server.url + path)
    care_post = care.locator("article.post", has_text="voicemail fault tonight")
    expect(care_post.locator(".badge")).to_have_text("Customer Care")
    care_post.get_by_role("link", name="Mark as official answer").click()
    care.get_by_label("Why is this the official answer?").fill("Confirmed fixed by the voicemail team.")
    care.get_by_role("button", name="Mark as official answer").click()
    expect(care.locator(".flash-success")).to_contain_text("Marked as the official answer.")
    expect(care.locator("section.official-answer")).to_contain_text("voicemail fault tonight")
    expect(care.locator("section.official-answer")).to_contain_text(f"marked by care_{tag}")

    # The author is notified, sees the answer under the question, accepts the
    # member's reply as the solution and answers the satisfaction question.
    asker = new_page(javascript=javascript)
    _sign_in(asker, live_server, f"asker_{tag}")
    expect(asker.locator(".count-badge")).to_be_visible()
    asker.get_by_role("link", name="Notifications").click()
    expect(asker.locator("ol.notifications")).to_contain_text("marked an official answer on your topic")
    asker.goto(live_server.url + path)
    expect(asker.locator(".tag-resolved")).to_have_text("Resolved")
    helper_post = asker.locator("article.post", has_text="Dial 443")
    helper_post.get_by_role("button", name="Accept as solution").click()
    expect(asker.locator(".flash-success")).to_contain_text("marked as the solution")
    expect(asker.locator("section.accepted-solution")).to_contain_text("Dial 443")
    satisfaction = asker.locator("section#satisfaction")
    expect(satisfaction.get_by_role("heading")).to_have_text("Did this solve your problem?")
    satisfaction.get_by_label("Yes").check()
    satisfaction.get_by_label("Anything to add? (optional)").fill("Voicemail works again.")
    satisfaction.get_by_role("button", name="Send answer").click()
    expect(asker.locator(".flash-success")).to_contain_text("Thanks for your feedback.")
    expect(asker.locator("section#satisfaction")).to_contain_text("You answered Yes")

    with live_server.app.app_context():
        topic = db.session.query(Topic).filter(Topic.title == f"Voicemail broken ({tag})").one()
        assert topic.is_resolved
        assert topic.satisfaction == "yes"
        assert topic.satisfaction_comment == "Voicemail works again."
        assert db.session.get(Post, topic.solution_post_id).author.username == f"helper_{tag}"
        assert db.session.get(Post, topic.official_answer_post_id).author.username == f"care_{tag}"
        entry = db.session.query(ModerationLogEntry).filter_by(topic_id=topic.id).one()
        assert (entry.action, entry.reason) == ("mark_official_answer", "Confirmed fixed by the voicemail team.")
