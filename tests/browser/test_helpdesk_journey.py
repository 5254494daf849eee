"""The help-desk journey in a real browser: staff mark an official answer, the author
accepts a solution and answers "Did this solve your problem?". With JavaScript on and off."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from forum.accounts import services as account_services
from forum.extensions import db
from forum.models import CaseTransition, Category, ModerationLogEntry, Post, Topic
from forum.topics import services as topic_services
from tests.conftest import PASSWORD, read_outbox

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
    expect(asker.locator(".topic-status .tag-answered")).to_have_text("Answered")  # not resolved: the asker decides
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


def _queue_titles(page: Page, live) -> list[str]:
    page.goto(live.url + "/staff/queue")
    return page.locator("table.staff-queue a.topic-title").all_inner_texts()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_case_lifecycle_journey(live_server, new_page, javascript):
    """Issue 12: ask → staff reply (the asker is emailed, with the default settings) →
    official answer (answered, not resolved) → the asker says No (back in the queue,
    reopened) → writes again → staff answer → the asker accepts (resolved, off the queue)
    → an internal note (staff only, never in search)."""
    tag = f"loop{'js' if javascript else 'nojs'}"
    with live_server.app.app_context():
        for name, role in ((f"asker_{tag}", "member"), (f"care_{tag}", "staff")):
            account_services.create_user(username=name, email=f"{name}@example.com", password=PASSWORD, role=role,
                                         verified=True)
        db.session.commit()
    title = f"eSIM will not activate ({tag})"

    # The customer asks.
    asker = new_page(javascript=javascript)
    _sign_in(asker, live_server, f"asker_{tag}")
    asker.goto(live_server.url + "/c/network/new")
    asker.get_by_label("Title").fill(title)
    asker.get_by_label("Describe your question").fill("The QR code says the profile is already in use.")
    asker.get_by_role("button", name="Post question").click()
    expect(asker.locator(".topic-status .tag-waiting")).to_have_text("Waiting for Customer Care")
    topic_url = asker.url

    # Customer Care finds it in the queue and replies.
    care = new_page(javascript=javascript)
    _sign_in(care, live_server, f"care_{tag}")
    assert title in _queue_titles(care, live_server)
    care.get_by_role("link", name=title).click()
    care.get_by_label("Your reply").fill("We have released the old profile: scan the code again, please.")
    care.get_by_role("button", name="Post reply").click()
    expect(care.locator(".topic-status .tag-answered")).to_have_text("Answered")
    assert title not in _queue_titles(care, live_server)
    # The asker never changed a setting: the reply reaches them by email at once.
    mails = [m for m in read_outbox(live_server.app) if m["To"] == f"asker_{tag}@example.com"]
    assert any(title in m["Subject"] or title in m.get_content() for m in mails), [m["Subject"] for m in mails]
    assert all(m["List-Unsubscribe"] for m in mails if title in m.get_content())

    # ... and marks it as the official answer: answered, not resolved.
    care.goto(topic_url)
    care.locator("article.post", has_text="released the old profile").get_by_role("link", name="Mark as official answer").click()
    care.get_by_label("Why is this the official answer?").fill("The standard fix for a stuck eSIM profile.")
    care.get_by_role("button", name="Mark as official answer").click()
    expect(care.locator(".topic-status .tag-answered")).to_have_text("Answered")
    expect(care.locator(".topic-status .tag-resolved")).to_have_count(0)
    # Shown once: in the box under the question; the post in the thread links up to it.
    expect(care.locator("section.official-answer")).to_contain_text("released the old profile")
    expect(care.locator("article.post p.answer-moved")).to_contain_text("This is the official answer")
    expect(care.get_by_text("scan the code again, please.")).to_have_count(1)

    # The customer says No: back in the queue, at its original waiting time, marked reopened.
    asker.goto(topic_url)
    satisfaction = asker.locator("section#satisfaction")
    satisfaction.get_by_label("No").check()
    satisfaction.get_by_label("Anything to add? (optional)").fill("Same error after scanning again.")
    satisfaction.get_by_role("button", name="Send answer").click()
    expect(asker.locator(".topic-status .tag-reopened")).to_have_text("Reopened")
    assert title in _queue_titles(care, live_server)
    expect(care.locator("table.staff-queue tr", has_text=title).locator(".tag-reopened")).to_have_text("Reopened")

    # The customer writes again; it stays in the queue.
    asker.get_by_label("Your reply").fill("I restarted the phone too, no change.")
    asker.get_by_role("button", name="Post reply").click()
    # with JavaScript the reply posts in place: wait for it before looking at the queue
    expect(asker.locator("article.post.just-posted .post-confirmation")).to_have_text("Your reply is posted.")
    assert title in _queue_titles(care, live_server)

    # Customer Care answers; the customer accepts that answer: resolved, off the queue.
    care.goto(topic_url)
    care.get_by_label("Your reply").fill("Your phone needs the carrier update first: Settings, General, About.")
    care.get_by_role("button", name="Post reply").click()
    expect(care.locator("article.post.just-posted .post-confirmation")).to_have_text("Your reply is posted.")
    assert title not in _queue_titles(care, live_server)
    asker.goto(topic_url)
    asker.locator("article.post", has_text="carrier update first").get_by_role("button", name="Accept as solution").click()
    expect(asker.locator(".flash-success")).to_contain_text("marked as the solution")
    expect(asker.locator(".topic-status .tag-resolved")).to_have_text("Resolved")
    assert title not in _queue_titles(care, live_server)

    with live_server.app.app_context():
        topic = db.session.query(Topic).filter(Topic.title == title).one()
        assert topic.state == "resolved"
        events = [t.event for t in db.session.query(CaseTransition).filter_by(topic_id=topic.id).order_by(CaseTransition.id)]
        assert events == ["asked", "staff_reply", "said_no", "staff_reply", "accepted"]

    # An internal note: the team sees it, the asker does not, search never finds it.
    secret = f"notesecret{tag}"
    care.goto(topic_url)
    care.get_by_label("Internal note (staff only)").fill(f"Carrier update fixed it, ref {secret}.")
    care.get_by_role("button", name="Add internal note").click()
    expect(care.locator("article.internal-note")).to_contain_text(secret)
    asker.goto(topic_url)
    expect(asker.locator("main")).not_to_contain_text(secret)
    asker.goto(live_server.url + f"/search?q={secret}")
    expect(asker.locator("ol.search-results li")).to_have_count(0)
