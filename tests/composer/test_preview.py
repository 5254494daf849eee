"""The preview renders exactly what posting stores: the same filters, the same
sanitiser, for every payload of the shared security corpora."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Category, Post, User
from forum.topics import services
from tests.conftest import csrf_token
from tests.corpus import SECURITY_DIR, form_body, load_corpus
from tests.test_security_corpus import _expect_body_refused, assert_page_safe

PREVIEW = "/composer/preview"


def _preview(client, body, token, **headers):
    data = form_body({"body": body, "csrf_token": token})
    return client.post(PREVIEW, data=data, content_type="application/x-www-form-urlencoded", headers=headers)


def test_preview_equals_what_posting_stores(app, client, signed_in, post_form, build, category, make_user):
    author = signed_in()
    with build() as b:
        topic = b.topic(category, author)
        topic_id = topic.id
    token = csrf_token(client, f"/t/{topic_id}")
    body = "Hi **there**\r\n\r\n- one\r\n- two\r\n\r\n[link](https://example.com) <script>x</script> ![s](https://evil.test/a.png)"
    preview = _preview(client, body, token)
    assert preview.status_code == 200
    assert preview.headers["Content-Type"].startswith("text/html")
    resp = post_form(f"/t/{topic_id}/reply", {"body": body}, token_from=f"/t/{topic_id}")
    assert resp.status_code == 302
    post_id = int(resp.location.split("/p/")[1].split("?")[0])
    with app.app_context():
        stored = db.session.get(Post, post_id).body_html
    assert preview.get_data(as_text=True) == stored
    assert "<script" not in stored
    assert "<img" not in stored


def test_preview_refuses_bad_requests(client, signed_in):
    anonymous = _preview(client, "x", csrf_token(client, "/login"))
    assert anonymous.status_code == 302
    assert "/login" in anonymous.location
    signed_in()
    assert client.post(PREVIEW, data={"body": "x"}).status_code == 400  # no CSRF token
    token = csrf_token(client, "/")
    empty = _preview(client, "   ", token)
    assert empty.status_code == 400
    assert "cannot be empty" in empty.get_data(as_text=True)
    long = _preview(client, "x" * 20_001, token)
    assert long.status_code == 400
    assert "at most" in long.get_data(as_text=True)
    # Without JavaScript the preview button opens a page around the same HTML.
    page = _preview(client, "**bold**", token, **{"Sec-Fetch-Mode": "navigate"})
    assert page.status_code == 200
    assert "<strong>bold</strong>" in page.get_data(as_text=True)
    assert "<h1>Preview</h1>" in page.get_data(as_text=True)


def test_preview_button_is_on_every_composer(client, signed_in, build, category):
    author = signed_in()
    with build() as b:
        topic = b.topic(category, author)
        tid, first_id = topic.id, b.first_post(topic).id
    for path in (f"/t/{tid}", f"/t/{tid}/reply", f"/c/{category['slug']}/new", f"/p/{first_id}/edit"):
        html = client.get(path).get_data(as_text=True)
        assert 'formaction="/composer/preview"' in html, path
        assert "data-composer" in html, path


@pytest.fixture(scope="module")
def corpus_entries():
    entries = []
    for name in ("xss-payloads.txt", "naughty-strings.txt"):
        if not (SECURITY_DIR / name).is_file():
            pytest.skip(f"security corpus not found: {SECURITY_DIR / name}")
        entries += load_corpus(name, SECURITY_DIR)
    return entries


def test_preview_of_every_corpus_entry_is_what_posting_stores(app, client, signed_in, category, corpus_entries):
    user = signed_in(username="corpus")
    token = csrf_token(client, "/")
    with app.app_context():
        author = db.session.get(User, user["id"])
        topic = services.create_topic(db.session.get(Category, category["id"]), author=author,
                                      title="Corpus previews", body="Below.")
        stored: dict[int, object] = {}
        for entry in corpus_entries:
            try:
                stored[services.reply_to_topic(topic, author=author, body=entry.text).id] = entry
            except services.TopicError:
                assert _expect_body_refused(entry.text), str(entry)
        db.session.commit()
        html_of = dict(db.session.execute(select(Post.id, Post.body_html).where(Post.id.in_(stored))).all())
    by_entry = {id(e): html_of[pid] for pid, e in stored.items()}
    for i, entry in enumerate(corpus_entries):
        resp = _preview(client, entry.value, token)
        assert resp.status_code < 500, str(entry)
        if _expect_body_refused(entry.text):
            assert resp.status_code == 400, str(entry)
            continue
        assert resp.status_code == 200, str(entry)
        if isinstance(entry.value, str):  # bytes entries are sent raw (invalid UTF-8 replaced)
            assert resp.get_data(as_text=True) == by_entry[id(entry)], str(entry)
        if i % 25 == 0:  # the no-JavaScript preview page is as safe as a topic page
            page = _preview(client, entry.value, token, **{"Sec-Fetch-Mode": "navigate"})
            assert_page_safe(page, f"preview page of {entry}")
