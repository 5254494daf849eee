"""The composer in a real browser: the preview (rendered by the server, shown in place
with JavaScript, a page without), @mention suggestions, quoting, drafts, and replying
in place on the topic page; either way the reader lands on the new post, highlighted,
with the confirmation on screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from forum.accounts import services as account_services
from forum.extensions import db
from forum.models import Category, Post
from forum.topics import services as topic_services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _seed(app, tag: str) -> str:
    with app.app_context():
        cat = db.session.query(Category).filter_by(slug="network").one()
        asker = account_services.create_user(username=f"comp_asker_{tag}", email=f"comp_asker_{tag}@example.com",
                                             password=PASSWORD, verified=True)
        account_services.create_user(username=f"comp_helper_{tag}", email=f"comp_helper_{tag}@example.com",
                                     password=PASSWORD, verified=True)
        topic = topic_services.create_topic(cat, author=asker, title=f"Voicemail will not play ({tag})",
                                            body="It says **no connection**.")
        db.session.commit()
        for i in range(6):  # enough posts that the reply box is below the fold
            topic_services.reply_to_topic(topic, author=asker, body=f"Still broken, day {i}.\n\n" + "More detail. " * 40)
        db.session.commit()
        return f"/t/{topic.id}-{topic.slug}"


def _sign_in(page: Page, live, username: str) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(username)


def _landed_on_new_post(page: Page, live, shown: str, text: str) -> None:
    post = page.locator("article.post.just-posted")
    expect(post).to_have_count(1, timeout=10_000)
    expect(post).to_contain_text(shown)
    confirmation = post.locator(".post-confirmation")
    expect(confirmation).to_have_text("Your reply is posted.")
    expect(confirmation).to_be_in_viewport()
    with live.app.app_context():
        newest = db.session.query(Post).order_by(Post.id.desc()).first()
        assert newest.body.startswith(text)
        assert post.get_attribute("id") == f"p{newest.id}"


def test_preview_mentions_quote_and_reply_in_place(live_server, new_page):
    path = _seed(live_server.app, "js")
    page = new_page(javascript=True, viewport={"width": 390, "height": 844})
    _sign_in(page, live_server, "comp_helper_js")
    page.goto(live_server.url + path)
    box = page.locator(".reply-box")
    textarea = box.get_by_label("Your reply")
    expect(box.get_by_role("toolbar", name="Formatting")).to_be_visible()

    # Quote: inserts the post's text into the reply box (no page load).
    page.locator("article.post-first").get_by_role("link", name="Quote").click()
    expect(textarea).to_have_value("> **@comp_asker_js** wrote:\n>\n> It says **no connection**.\n\n")
    assert page.url.endswith(path)

    # @mention suggestions, chosen with the keyboard.
    textarea.press("End")
    textarea.press_sequentially("Hi @comp_as")
    option = page.get_by_role("option", name="@comp_asker_js")
    expect(option).to_be_visible()
    textarea.press("Enter")
    textarea.press_sequentially("try **airplane mode**")
    assert "Hi @comp_asker_js try **airplane mode**" in textarea.input_value()

    # Formatting bar.
    textarea.press("End")
    textarea.press("Enter")
    box.get_by_role("button", name="Italic").click()
    assert textarea.input_value().endswith("*italic text*")

    # Preview in place, rendered by the server.
    box.get_by_role("button", name="Preview").click()
    preview = box.locator(".composer-preview")
    expect(preview.locator("strong", has_text="airplane mode")).to_be_visible()
    expect(preview.locator("blockquote")).to_contain_text("no connection")
    assert len(page.context.pages) == 1  # no new tab with JavaScript

    # The draft survives a reload.
    typed = textarea.input_value()
    page.wait_for_timeout(500)  # the draft is saved 300 ms after the last keystroke
    page.reload()
    expect(page.locator(".reply-box").get_by_label("Your reply")).to_have_value(typed)

    # Reply in place: no navigation to the reply page, lands on the new post.
    page.locator(".reply-box").get_by_role("button", name="Post reply").click()
    _landed_on_new_post(page, live_server, "airplane mode", "> **@comp_asker_js** wrote:")
    assert "/reply" not in page.url
    # The draft is gone.
    page.reload()
    expect(page.locator(".reply-box").get_by_label("Your reply")).to_have_value("")
    with live_server.app.app_context():
        from forum.models import Notification, User

        asker = db.session.query(User).filter_by(username="comp_asker_js").one()
        kinds = [n.kind for n in db.session.query(Notification).filter_by(user_id=asker.id)]
        assert "mention" in kinds


def test_without_javascript(live_server, new_page):
    path = _seed(live_server.app, "nojs")
    page = new_page(javascript=False, viewport={"width": 390, "height": 844})
    _sign_in(page, live_server, "comp_helper_nojs")
    page.goto(live_server.url + path)
    # Quote opens the reply page with the quoted text.
    page.locator("article.post-first").get_by_role("link", name="Quote").click()
    textarea = page.get_by_label("Your reply")
    expect(textarea).to_have_value("> **@comp_asker_nojs** wrote:\n>\n> It says **no connection**.\n\n")
    textarea.fill("Plain **reply**")
    # The preview button opens the server's render in a new tab.
    with page.context.expect_page() as tab:
        page.get_by_role("button", name="Preview").click()
    preview = tab.value
    expect(preview.get_by_role("heading", name="Preview")).to_be_visible()
    expect(preview.locator(".post-body strong")).to_have_text("reply")
    preview.close()
    page.get_by_role("button", name="Post reply").click()
    _landed_on_new_post(page, live_server, "Plain reply", "Plain **reply**")
