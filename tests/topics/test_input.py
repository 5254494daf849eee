"""Bad input at every entry point of the topic pages: the answer is a 4xx with a
message that says what is wrong, and nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Post, Topic
from tests.topics.dom import page

GOOD_TITLE = "No signal since the update"


@pytest.fixture
def counts(app):
    def _counts():
        with app.app_context():
            return (
                db.session.scalar(select(func.count()).select_from(Topic)),
                db.session.scalar(select(func.count()).select_from(Post)),
            )

    return _counts


@pytest.fixture
def topics(build, make_user, category):
    """Two topics, each with one reply."""
    author = make_user("author")
    with build() as b:
        one, two = b.topic(category, author, title="Topic one"), b.topic(category, author, title="Topic two")
        return {
            "one": one.id,
            "two": two.id,
            "one_reply": b.reply(one, author).id,
            "two_reply": b.reply(two, author).id,
        }


def _field_errors(doc, field_id):
    errors = doc.find("ul", id=f"{field_id}-error")
    return [li.text for li in errors.find_all("li")] if errors else []


# --- new topic ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"body": "Body"}, "title", "Give your topic a title."),
        ({"title": "", "body": "Body"}, "title", "Give your topic a title."),
        ({"title": " \t\n ", "body": "Body"}, "title", "Give your topic a title."),
        ({"title": "abcd", "body": "Body"}, "title", "Titles are 5 to 150 characters long."),
        ({"title": "a     bc", "body": "Body"}, "title", "Titles are 5 to 150 characters long."),
        ({"title": "x" * 151, "body": "Body"}, "title", "Titles are 5 to 150 characters long."),
        ({"title": "x" * 5000, "body": "Body"}, "title", "Titles are 5 to 150 characters long."),
        ({"title": "Nul \x00 title", "body": "Body"}, "title", "NUL character"),
        ({"title": GOOD_TITLE}, "body", "Write something first: the text cannot be empty."),
        ({"title": GOOD_TITLE, "body": "  \r\n\t "}, "body", "Write something first: the text cannot be empty."),
        ({"title": GOOD_TITLE, "body": "x" * 20_001}, "body", "Posts are at most 20,000 characters long."),
        ({"title": GOOD_TITLE, "body": "ab\r\n" * 6_667}, "body", "Posts are at most 20,000 characters long."),
        ({"title": GOOD_TITLE, "body": "nul \x00"}, "body", "NUL character"),
    ],
    ids=[
        "no-title",
        "empty-title",
        "blank-title",
        "short-title",
        "collapses-short",
        "long-title",
        "huge-title",
        "nul-title",
        "no-body",
        "blank-body",
        "long-body",
        "long-crlf-body",
        "nul-body",
    ],
)
def test_new_topic_bad_input_is_422_with_message(client, signed_in, post_form, category, counts, data, field, message):
    signed_in()
    resp = post_form(f"/c/{category['slug']}/new", data)
    assert resp.status_code == 422
    doc = page(resp)
    errors = _field_errors(doc, field)
    assert any(message in e for e in errors), errors
    assert doc.one("div", cls="error-summary").find("li")
    assert doc.one(id=field).get("aria-invalid") == "true"
    assert counts() == (0, 0)
    # What the member typed is kept in the form.
    if data.get("title") and "\x00" not in data["title"]:
        assert doc.one("input", id="title").get("value") == " ".join(data["title"].split())


def test_new_topic_accepts_limits_and_crlf(client, signed_in, post_form, category, counts):
    signed_in()
    padded = "   " + "t" * 150 + "   "
    resp = post_form(f"/c/{category['slug']}/new", {"title": padded, "body": "ab\r\n" * 6_666 + "ab"})
    assert resp.status_code == 302
    doc = page(client.get(resp.location))
    assert doc.one("h1").text == "t" * 150
    assert "Your topic is posted." in doc.one("div", cls="flashes").text
    assert counts() == (1, 1)


def test_new_topic_prefills_title_from_query(client, signed_in, category):
    signed_in()
    doc = page(client.get(f"/c/{category['slug']}/new?title=" + "Roaming%20" + "z" * 300))
    assert doc.one("input", id="title").get("value") == ("Roaming " + "z" * 300)[:150]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("slug", ["nope", "x" * 300, "%00", "NETWORK"])
def test_new_topic_in_unknown_category_is_404(client, signed_in, post_form, category, counts, method, slug):
    signed_in()
    path = f"/c/{slug}/new"
    resp = client.get(path) if method == "get" else post_form(path, {"title": GOOD_TITLE, "body": "Body"})
    assert resp.status_code == 404
    assert counts() == (0, 0)


def test_new_topic_logged_out_redirects_to_login(client, post_form, category, counts):
    resp = post_form(f"/c/{category['slug']}/new", {"title": GOOD_TITLE, "body": "Body"}, token_from="/login")
    assert resp.status_code == 302
    assert resp.location.startswith("/login?next=")
    assert counts() == (0, 0)


def test_new_topic_unverified_is_403(client, signed_in, post_form, category, counts):
    signed_in(verified=False)
    resp = post_form(f"/c/{category['slug']}/new", {"title": GOOD_TITLE, "body": "Body"})
    assert resp.status_code == 403
    assert "Confirm your email" in page(resp).one("h1").text
    assert counts() == (0, 0)


def test_new_topic_without_csrf_is_400(client, signed_in, post_form, category, counts):
    signed_in()
    resp = post_form(f"/c/{category['slug']}/new", {"title": GOOD_TITLE, "body": "Body"}, with_csrf=False)
    assert resp.status_code == 400
    assert "security token" in resp.get_data(as_text=True)
    resp = post_form(
        f"/c/{category['slug']}/new", {"title": GOOD_TITLE, "body": "Body", "csrf_token": "forged"}, with_csrf=False
    )
    assert resp.status_code == 400
    assert counts() == (0, 0)


# --- reply ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "Write something first"),
        ("", "Write something first"),
        (" \n ", "Write something first"),
        ("y" * 20_001, "at most 20,000 characters"),
        ("a\x00", "NUL character"),
    ],
    ids=["missing", "empty", "blank", "long", "nul"],
)
def test_reply_bad_body_is_422(client, signed_in, post_form, topics, counts, body, message):
    signed_in()
    data = {} if body is None else {"body": body}
    resp = post_form(f"/t/{topics['one']}/reply", {**data, "parent_id": str(topics["one_reply"])})
    assert resp.status_code == 422
    doc = page(resp)
    assert any(message in e for e in _field_errors(doc, "body"))
    # The post being answered is still shown, and still the target.
    assert doc.one("input", id="parent_id").get("value") == str(topics["one_reply"])
    assert doc.one("blockquote", cls="quoted")
    assert counts() == (2, 4)


@pytest.mark.parametrize("method", ["get", "post"])
def test_reply_to_missing_topic_is_404(client, signed_in, post_form, topics, counts, method):
    signed_in()
    for tid in ("9999", "2147483648", "123456789012345678901"):
        path = f"/t/{tid}/reply"
        resp = client.get(path) if method == "get" else post_form(path, {"body": "Hello"})
        assert resp.status_code == 404
    assert counts() == (2, 4)


def test_reply_logged_out_redirects_to_login(client, post_form, topics, counts):
    resp = post_form(f"/t/{topics['one']}/reply", {"body": "Hello"}, token_from="/login")
    assert resp.status_code == 302
    assert resp.location.startswith("/login?next=")
    assert counts() == (2, 4)


def test_reply_unverified_is_403(client, signed_in, post_form, topics, counts):
    signed_in(verified=False)
    resp = post_form(f"/t/{topics['one']}/reply", {"body": "Hello"})
    assert resp.status_code == 403
    assert "Confirm your email" in resp.get_data(as_text=True)
    assert counts() == (2, 4)


def test_reply_without_csrf_is_400(client, signed_in, post_form, topics, counts):
    signed_in()
    assert post_form(f"/t/{topics['one']}/reply", {"body": "Hello"}, with_csrf=False).status_code == 400
    assert counts() == (2, 4)


@pytest.mark.parametrize("method", ["get", "post"])
def test_reply_to_post_of_another_topic_is_400(client, signed_in, post_form, topics, counts, method):
    signed_in()
    path = f"/t/{topics['one']}/reply"
    if method == "get":
        resp = client.get(f"{path}?to={topics['two_reply']}")
    else:
        resp = post_form(path, {"body": "Hello", "parent_id": str(topics["two_reply"])})
    assert resp.status_code == 400
    assert "You can only reply to a post of this topic." in page(resp).one("h1").text
    assert counts() == (2, 4)


@pytest.mark.parametrize("target", ["abc", "1.5", "-1", "+1", " 1", "1 ", "0x1", "²", "١", "１", "1e3", "9" * 19])
@pytest.mark.parametrize("method", ["get", "post"])
def test_reply_to_non_numeric_target_is_400(client, signed_in, post_form, topics, counts, method, target):
    signed_in()
    path = f"/t/{topics['one']}/reply"
    if method == "get":
        resp = client.get(path, query_string={"to": target})
    else:
        resp = post_form(path, {"body": "Hello", "parent_id": target})
    assert resp.status_code == 400
    assert "That reply target is not a post number." in page(resp).one("h1").text
    assert counts() == (2, 4)


@pytest.mark.parametrize("target", ["0", "9999", "2147483647", "2147483648", "999999999999999999"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_reply_to_unknown_target_is_404(client, signed_in, post_form, topics, counts, method, target):
    signed_in()
    path = f"/t/{topics['one']}/reply"
    if method == "get":
        resp = client.get(path, query_string={"to": target})
    else:
        resp = post_form(path, {"body": "Hello", "parent_id": target})
    assert resp.status_code == 404
    assert counts() == (2, 4)


def test_reply_to_a_post_nests_it(client, app, signed_in, post_form, topics):
    signed_in()
    resp = post_form(f"/t/{topics['one']}/reply", {"body": "Nested **answer**", "parent_id": str(topics["one_reply"])})
    assert resp.status_code == 302
    post_id = int(resp.location.split("/p/")[1].split("?")[0])
    landing = client.get(resp.location)
    assert landing.status_code == 302
    assert landing.location.endswith(f"#p{post_id}")
    doc = page(client.get(landing.location))
    article = doc.one("article", id=f"p{post_id}")
    assert "depth-1" in article.classes
    assert article.one("div", cls="post-body").find("strong").text == "answer"
    assert "Your reply is posted." in doc.one("div", cls="flashes").text
    # The reader lands on the new post: highlighted, its confirmation inside it (on screen).
    assert "just-posted" in article.classes
    assert article.one("p", cls="post-confirmation").text == "Your reply is posted."
    assert len(doc.find_all("article", cls="just-posted")) == 1
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert (post.parent_id, post.thread_root_id, post.depth) == (topics["one_reply"], topics["one_reply"], 1)
