"""Random text at the new-topic and reply forms: never a server error, and what is
accepted is stored as sent (titles with whitespace collapsed, bodies with LF newlines)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from forum.extensions import db
from forum.models import Post, Topic
from tests.conftest import csrf_token

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Markdown and HTML punctuation, whitespace of every kind and arbitrary Unicode.
_markup = st.sampled_from(
    [
        "<",
        ">",
        "&",
        '"',
        "'",
        "`",
        "*",
        "_",
        "[",
        "]",
        "(",
        ")",
        "#",
        "!",
        "|",
        "~",
        "\\",
        "javascript:",
        "<script>",
        "](",
        "\r\n",
        "\n",
        "\t",
        "\x00",
        "\u2028",
        "\u200b",
        "&#x3C;",
        "http://xss.invalid/",
        "    ",
        "> ",
    ]
)
text = st.lists(st.one_of(st.text(max_size=8), _markup), max_size=40).map("".join)
long_text = st.one_of(text, st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=3), st.integers(1, 8000)))


def _stored_ok(resp, sent: str, stored: str | None) -> None:
    assert resp.status_code < 500
    if resp.status_code == 302:
        assert stored == sent.replace("\r\n", "\n")
    else:
        assert resp.status_code == 422, resp.status_code


@pytest.mark.slow
@FUZZ
@given(title=text, body=long_text)
def test_new_topic_form_never_errors(client, app, signed_in, category, title, body):
    if not getattr(client, "_fuzz_signed_in", False):
        signed_in()
        client._fuzz_signed_in = True
    resp = client.post(
        f"/c/{category['slug']}/new", data={"title": title, "body": body, "csrf_token": csrf_token(client, "/")}
    )
    assert resp.status_code < 500
    if resp.status_code == 302:
        topic_id = int(resp.location.split("/t/")[1].split("-")[0])
        with app.app_context():
            topic = db.session.get(Topic, topic_id)
            assert topic.title == " ".join(title.split())
            stored = db.session.scalar(select(Post.body).where(Post.topic_id == topic_id))
        _stored_ok(resp, body, stored)
        assert client.get(resp.location).status_code == 200
    else:
        _stored_ok(resp, body, None)


@pytest.mark.slow
@FUZZ
@given(body=long_text, parent=st.one_of(st.none(), st.sampled_from(["first", "reply", "other"]), st.text(max_size=6)))
def test_reply_form_never_errors(client, app, signed_in, build, make_user, category, body, parent):
    if not getattr(client, "_fuzz_ids", None):
        author = make_user("author")
        with build() as b:
            topic, other = b.topic(category, author), b.topic(category, author, title="Another topic")
            client._fuzz_ids = {
                "topic": topic.id,
                "first": b.first_post(topic).id,
                "reply": b.reply(topic, author).id,
                "other": b.reply(other, author).id,
            }
        signed_in()
    ids = client._fuzz_ids
    data = {"body": body, "csrf_token": csrf_token(client, "/")}
    if parent is not None:
        data["parent_id"] = str(ids.get(parent, parent))
    resp = client.post(f"/t/{ids['topic']}/reply", data=data)
    assert resp.status_code < 500
    if resp.status_code in (400, 404):
        assert parent not in (None, "first", "reply")
        return
    if resp.status_code == 302:
        with app.app_context():
            stored = db.session.get(Post, int(resp.location.split("/p/")[1].split("?")[0])).body
        _stored_ok(resp, body, stored)
        assert client.get(client.get(resp.location).location).status_code == 200
    else:
        _stored_ok(resp, body, None)
