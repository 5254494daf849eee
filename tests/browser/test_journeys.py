"""End-to-end journeys in a real browser against a live server: join, confirm the
email from the outbox, ask, and hold a threaded conversation. Run with JavaScript
on and off: every page must work as plain HTML forms and links."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from forum.extensions import db
from forum.models import Post, Topic
from tests.conftest import PASSWORD, read_outbox

pytestmark = pytest.mark.browser

VERIFY_LINK = re.compile(r"(http://127\.0\.0\.1:\d+/verify/\S+)")


def register_and_verify(page: Page, live, username: str) -> None:
    """Join through the form, then follow the link in the confirmation email."""
    email = f"{username}@example.com"
    page.goto(live.url + "/")
    page.get_by_role("link", name="Join").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    # The same answer whether or not the address had an account: no sign-in yet (issue 18).
    expect(page.locator(".flash-success")).to_contain_text("We have sent you an email")

    mails = [m for m in read_outbox(live.app) if m["To"] == email]
    assert len(mails) == 1, f"expected one confirmation mail for {email}"
    body = mails[0].get_content()
    match = VERIFY_LINK.search(body)
    assert match, body
    link = match.group(1)
    assert link.startswith(live.url + "/verify/")

    page.goto(link)
    expect(page.locator(".flash-success")).to_contain_text("your email address is confirmed")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".verify-notice")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(username)


def reply_to(page: Page, post_text: str, body: str) -> None:
    """Use the Reply link of the post that contains ``post_text``."""
    post = page.locator("article.post", has_text=post_text)
    expect(post).to_have_count(1)
    post.get_by_role("link", name="Reply", exact=True).click()
    expect(page.locator("blockquote.quoted")).to_contain_text(post_text)
    page.get_by_label("Your reply").fill(body)
    page.get_by_role("button", name="Post reply").click()
    expect(page.locator(".flash-success")).to_contain_text("Your reply is posted.")


def _depth(article) -> int:
    classes = article.get_attribute("class") or ""
    match = re.search(r"\bdepth-(\d+)\b", classes)
    assert match, classes
    return int(match.group(1))


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_join_ask_and_nested_replies(live_server, new_page, javascript):
    tag = "js" if javascript else "nojs"
    asker, helper = f"ann_{tag}", f"bob_{tag}"
    title = f"Dropped calls on the train ({tag})"

    ann = new_page(javascript=javascript)
    register_and_verify(ann, live_server, asker)

    # Ann asks a question in the seeded board.
    ann.get_by_role("link", name="Network & coverage").first.click()
    expect(ann.get_by_role("heading", level=1)).to_have_text("Network & coverage")
    ann.get_by_role("link", name="Ask a question").click()
    ann.get_by_label("Title").fill(title)
    ann.get_by_label("Describe your question").fill("Calls drop between Leeds and York, every day since **Monday**.")
    ann.get_by_role("button", name="Post question").click()
    expect(ann.locator(".flash-success")).to_contain_text("Your topic is posted.")
    expect(ann.get_by_role("heading", level=1)).to_have_text(title)
    expect(ann.locator("article.post-first strong")).to_have_text("Monday")  # Markdown rendered
    topic_url = ann.url

    # Bob, a second member, joins and answers the topic from the box under it.
    bob = new_page(javascript=javascript)
    register_and_verify(bob, live_server, helper)
    bob.goto(topic_url)
    bob.get_by_label("Your reply").fill("Is that on the 07:12? It goes through a tunnel near Garforth.")
    bob.get_by_role("button", name="Post reply").click()
    expect(bob.locator(".flash-success")).to_contain_text("Your reply is posted.")

    # Ann replies to Bob's reply, and Bob replies to that: two levels of nesting.
    ann.goto(topic_url)
    reply_to(ann, "tunnel near Garforth", "Yes, the 07:12. It also happens on the way back.")
    bob.goto(topic_url)
    reply_to(bob, "also happens on the way back", "Then it is the tunnel: turn on Wi-Fi Calling on the train Wi-Fi.")

    # Each reply appears after, and indented under, the post it answers.
    ann.goto(topic_url)
    thread = ann.locator("section.thread article.post")
    expect(thread).to_have_count(3)
    top, middle, deepest = (thread.nth(i) for i in range(3))
    expect(top).to_contain_text("tunnel near Garforth")
    expect(middle).to_contain_text("also happens on the way back")
    expect(deepest).to_contain_text("Wi-Fi Calling on the train")
    assert [_depth(a) for a in (top, middle, deepest)] == [0, 1, 2]
    expect(deepest).to_have_class(re.compile(r"\bdepth-2\b"))
    x_top, x_middle, x_deepest = (a.bounding_box()["x"] for a in (top, middle, deepest))
    assert x_top < x_middle < x_deepest, (x_top, x_middle, x_deepest)
    expect(ann.locator("p.muted", has_text="3 replies")).to_be_visible()

    # The database agrees with the page.
    with live_server.app.app_context():
        topic = db.session.scalar(select(Topic).where(Topic.title == title))
        posts = db.session.scalars(select(Post).where(Post.topic_id == topic.id).order_by(Post.id)).all()
        assert [(p.author.username, p.depth) for p in posts] == [(asker, 0), (helper, 0), (asker, 1), (helper, 2)]
        assert posts[3].parent_id == posts[2].id
        assert posts[2].parent_id == posts[1].id
        assert topic.reply_count == 3


def test_anonymous_reader_is_sent_to_sign_in(live_server, new_page):
    page = new_page(javascript=False)
    page.goto(live_server.url + "/c/network")
    page.get_by_role("link", name="Sign in to ask").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert "next=" in page.url


def test_skip_link_moves_focus_to_main(live_server, new_page):
    page = new_page()
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_home_page_content_sits_in_landmarks(live_server, new_page):
    page = new_page()
    page.goto(live_server.url + "/")
    outside = page.evaluate(
        """() => [...document.body.children]
            .filter(el => !el.matches('header, nav, main, footer, .skip-link, script'))
            .map(el => el.outerHTML.slice(0, 80))"""
    )
    assert outside == []
    for role in ("banner", "main", "contentinfo"):
        expect(page.get_by_role(role)).to_have_count(1)
    expect(page.get_by_role("navigation", name="Account")).to_be_visible()
