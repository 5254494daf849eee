"""The demo community in a browser: a topic with nested replies. The README's screenshots
are written by test_design.py (``docs/screenshots/``); this one goes to a temporary folder."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from forum.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_demo_topic_with_nested_replies(demo_server, new_page, tmp_path):
    page = new_page(viewport={"width": 1100, "height": 900})
    # Signed in as a demo member, so the page shows its Reply links and reply box.
    page.goto(demo_server.url + "/login")
    page.get_by_label("Username or email").fill("marco.r")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("marco.r")
    page.get_by_role("link", name=re.compile(r"^No 4G indoors")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("No 4G indoors")

    posts = page.locator("section.thread article.post")
    expect(posts.first).to_be_visible()
    deep = page.locator("section.thread article.post.depth-2")
    expect(deep.first).to_be_visible()
    # A depth-2 reply is indented further than the top-level reply of its thread.
    x_top = page.locator("section.thread article.post.depth-0").first.bounding_box()["x"]
    assert deep.first.bounding_box()["x"] > x_top
    expect(page.locator("article.post-staff").first).to_be_visible()  # staff answers stand out
    expect(page.locator(".tag-pinned")).to_be_visible()

    target = tmp_path / "screenshot.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.read_bytes()[:8] == PNG_MAGIC
