"""The shared hostile-input corpora through the API's create-topic and reply: no 5xx,
a refusal is a 4xx JSON error that stores nothing, and what is stored comes back as
sanitised HTML (forum/markup.py's allowlist; links get the forum's rel).

The whole corpus goes through the same service in tests/test_security_corpus.py; here
a fixed sample (every ``STRIDE``-th entry, and every raw-bytes entry) goes through the
API's HTTP door, which is what this adds: the JSON parsing and the answer."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from forum import markup
from forum.extensions import db
from forum.models import Post
from tests.corpus import load_corpus
from tests.topics.dom import parse

STRIDE = 20
BAD_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:", "mocha:", "jar:")


def _squash(url: str) -> str:
    return "".join(ch for ch in html.unescape(url) if ch > " " and ch != "\x7f").lower()


def assert_sanitised(fragment: str, what: str) -> None:
    for node in parse(fragment).iter():
        where = f"{what}: <{node.tag} {dict(node.attrs)!r:.200}>"
        assert node.tag in markup.ALLOWED_TAGS, where
        assert {name for name, _ in node.attrs} <= set(markup.ALLOWED_ATTRIBUTES.get(node.tag, ())), where
        for name, value in node.attrs:
            if name in ("href", "src") and value:
                assert not _squash(value).startswith(BAD_SCHEMES), where
        if node.tag == "a" and node.get("href") is not None:
            assert node.get("rel") == markup.LINK_REL, where


def _posts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Post.id)))


@pytest.mark.parametrize("name", ["xss-payloads.txt", "naughty-strings.txt"])
def test_corpus_through_reply_and_create_topic(app, api, community, make_token, name):
    entries = [e for i, e in enumerate(load_corpus(name)) if i % STRIDE == 0 or isinstance(e.value, bytes)]
    client = api(make_token(community["care"]))
    topic_path = f"/api/v1/topics/{community['topic']}/posts"
    for entry in entries:
        if isinstance(entry.value, bytes):  # raw bytes: not JSON text at all
            resp = app.test_client().post(topic_path, data=entry.value, headers={
                "Authorization": client._headers()["Authorization"], "Content-Type": "application/json"})
            assert 400 <= resp.status_code < 500, str(entry)
            continue
        before = _posts(app)
        resp = client.post(topic_path, json={"body": entry.value, "confirm_personal_data": True})
        assert resp.status_code < 500, str(entry)
        assert resp.mimetype == "application/json", str(entry)
        if resp.status_code == 201:
            assert_sanitised(resp.get_json()["body_html"], str(entry))
        else:
            assert set(resp.get_json()) == {"error"}, str(entry)
            assert _posts(app) == before, str(entry)
    # what a reader gets back through the API, page by page
    page = 1
    while True:
        body = api().get(f"{topic_path}?page={page}").get_json()
        for item in body["items"]:
            assert_sanitised(item["body_html"] or "", f"post {item['id']}")
        if page >= body["pagination"]["pages"]:
            break
        page += 1
    # titles: a sample as new topics (titles are plain text in JSON; never HTML)
    for entry in [e for e in entries if isinstance(e.value, str)][::5]:
        resp = client.post("/api/v1/topics", json={"category": community["category"]["slug"], "title": entry.value,
                                                   "body": entry.value, "confirm_personal_data": True})
        assert resp.status_code < 500, str(entry)
        if resp.status_code == 201:
            assert_sanitised(resp.get_json()["first_post"]["body_html"], str(entry))
