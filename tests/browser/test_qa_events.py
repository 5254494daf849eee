"""A whole Q&A session in a real browser: staff create it, two members ask and vote
(one with JavaScript, one without), the executive answers live, and a member sees
the answer with its badge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from forum.accounts import services as account_services
from forum.extensions import db
from forum.models import Question
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page: Page, live, username: str) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(username)


def ask(page: Page, text: str) -> None:
    page.get_by_label("Your question").fill(text)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".flash-success, .qa-check").first).to_be_visible()
    if page.locator(".qa-check").count():  # the "check" step, when similar questions exist
        expect(page.locator(".qa-similar-item")).not_to_have_count(0)
        page.get_by_role("button", name="Post my question").click()
    expect(page.locator(".flash-success")).to_contain_text("Your question is in.")


def test_a_whole_session(live_server, new_page):
    with live_server.app.app_context():
        for name, role in (("qa_priya", "staff"), ("qa_dana", "executive"), ("qa_ann", "member"), ("qa_bob", "member")):
            account_services.create_user(username=name, email=f"{name}@example.com", password=PASSWORD, role=role,
                                         verified=True)
        db.session.commit()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    fmt = "%Y-%m-%dT%H:%M"

    # Staff create the session.
    staff = new_page()
    sign_in(staff, live_server, "qa_priya")
    staff.get_by_role("link", name="Ask the exec").click()
    staff.get_by_role("link", name="New session").click()
    staff.get_by_label("Title", exact=True).fill("Ask Dana: your network")
    staff.get_by_label("Slug").fill("ask-dana-network")
    staff.get_by_label("Executive", exact=True).select_option(label="qa_dana (qa_dana)")
    staff.get_by_label("Executive's public title").fill("Chief Customer Officer")
    staff.get_by_label("Introduction").fill("Ask Dana about **coverage**.")
    staff.get_by_label("Questions open at").fill((now - timedelta(hours=1)).strftime(fmt))
    staff.get_by_label("Questions close at").fill((now + timedelta(hours=3)).strftime(fmt))
    staff.get_by_label("Live part starts at").fill((now + timedelta(hours=2)).strftime(fmt))
    staff.get_by_label("Live part ends at").fill((now + timedelta(hours=3)).strftime(fmt))
    staff.get_by_role("button", name="Create session").click()
    expect(staff.locator(".flash-success")).to_contain_text("The Q&A session is created.")
    expect(staff.locator("#qa-state")).to_have_text("Open for questions")
    session_url = staff.url

    # Two members ask: Ann with JavaScript, Bob without.
    ann = new_page()
    sign_in(ann, live_server, "qa_ann")
    ann.goto(session_url)
    ask(ann, "When will 5G reach the Leeds suburbs?")
    bob = new_page(javascript=False)
    sign_in(bob, live_server, "qa_bob")
    bob.goto(session_url)
    ask(bob, "Why does my signal drop on the Leeds ring road?")
    with live_server.app.app_context():
        ids = {q.author.username: q.id for q in db.session.scalars(select(Question))}

    # Bob votes with a plain form POST ...
    bob.goto(session_url)
    bob.locator(f"#q{ids['qa_ann']}").get_by_role("button", name="Vote").click()
    expect(bob.locator(".flash-success")).to_contain_text("Your vote is counted.")
    expect(bob.locator(f"#q{ids['qa_ann']} .vote-count")).to_have_text("1")
    # ... Ann's vote updates the count without a reload.
    ann.goto(session_url)
    ann.evaluate("window.__same_page = true")
    ann.locator(f"#q{ids['qa_bob']}").get_by_role("button", name="Vote").click()
    expect(ann.locator(f"#q{ids['qa_bob']} .vote-count")).to_have_text("1")
    expect(ann.locator(f"#q{ids['qa_bob']}").get_by_role("button", name="Take my vote back")).to_be_visible()
    assert ann.evaluate("window.__same_page") is True

    # Staff start the live part; the executive answers Ann's question.
    staff.goto(session_url)
    staff.get_by_label("Move this session to").select_option("live")
    staff.get_by_role("button", name="Change state").click()
    expect(staff.locator("#qa-state")).to_have_text("Live")
    dana = new_page()
    sign_in(dana, live_server, "qa_dana")
    dana.goto(session_url)
    dana.locator(f"#q{ids['qa_ann']}").get_by_role("link", name="Answer").click()
    dana.get_by_label("Answer (Markdown)").fill("Our **5G** roll-out reaches the Leeds suburbs in March.")
    dana.get_by_role("button", name="Publish").click()
    expect(dana.locator(".flash-success")).to_contain_text("The answer is published.")

    # Ann sees the answer, with the executive's badge, and was notified.
    ann.goto(session_url)
    answer = ann.locator(f"#q{ids['qa_ann']} .qa-answer")
    expect(answer).to_contain_text("Our 5G roll-out reaches the Leeds suburbs in March.")
    expect(answer.locator(".badge")).to_have_text("Head of Customer Care")
    expect(answer.locator(".exec-title")).to_have_text("Chief Customer Officer")
    expect(ann.locator(f"#q{ids['qa_ann']} .tag-answered")).to_have_text("Answered")
    ann.get_by_role("link", name="Notifications").click()
    expect(ann.locator("ol.notifications")).to_contain_text("was answered")  # the header menu (JS) or the page
