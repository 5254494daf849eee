"""The hostile corpora (``shared/security``) where account self-service shows new user
text: the new email address on the confirmation page, its masked form in the activity
list on /settings, and the export (JSON, an attachment: text round-trips exactly)."""

from __future__ import annotations

import json

import pytest

from forum.accounts import self_service
from forum.accounts import services as account_services
from forum.extensions import db
from forum.models import Category, User
from forum.topics import services as topic_services
from tests.accounts.test_sessions import signed_in_client
from tests.conftest import PASSWORD, csrf_token
from tests.corpus import load_corpus
from tests.test_security_corpus import assert_page_safe


@pytest.fixture(scope="module")
def corpus():
    entries = load_corpus("xss-payloads.txt") + load_corpus("naughty-strings.txt")
    assert len(entries) > 500, "the corpus looks truncated"
    return entries


def _addresses(text: str) -> list[str]:
    squashed = "".join(text.split()).replace("@", "")
    return [f"x{squashed}@example.com", f"jess@{squashed}"]


def test_new_addresses_from_the_corpus_are_shown_safely(app, corpus, make_user):
    uid = make_user("jess", email="jess@example.com")["id"]
    client = signed_in_client(app, "jess")
    accepted = refused = 0
    for n, entry in enumerate(corpus):
        for address in _addresses(entry.text):
            with app.app_context():
                user = db.session.get(User, uid)
                try:
                    self_service.request_email_change(user, password=PASSWORD, new_email=address)
                except account_services.AccountError:
                    db.session.rollback()
                    refused += 1
                    continue
                token = self_service.make_email_change_token(user, address)
                db.session.commit()
            accepted += 1
            page = client.get(f"/settings/email/confirm/{token}")
            doc = assert_page_safe(page, f"confirmation page for {entry}")
            [shown] = doc.find_all("strong", cls="new-email")
            assert shown.text == address.strip(), entry
        if n % 20 == 0:
            assert_page_safe(client.get("/settings"), f"settings after {entry}")
    # The address rules (RFC 5321 via email-validator) refuse most payloads; what they
    # let through (quotes, ampersands, slashes, braces, non-Latin scripts) is shown escaped.
    assert accepted > 100
    assert refused > len(corpus)


def test_hostile_text_round_trips_through_the_export(app, corpus, make_user, make_category):
    uid = make_user("jess", email="jess@example.com")["id"]
    cat_id = make_category()["id"]
    bodies = []
    with app.app_context():
        user = db.session.get(User, uid)
        topic = topic_services.create_topic(db.session.get(Category, cat_id), author=user, title="Corpus topic",
                                            body="Opening")
        for entry in corpus[::6]:
            try:
                post = topic_services.reply_to_topic(topic, author=user, body=entry.text)
            except topic_services.TopicError:
                continue
            bodies.append(post.body)
        db.session.commit()
    client = signed_in_client(app, "jess")
    resp = client.post("/settings/export", data={"current_password": PASSWORD, "csrf_token": csrf_token(client, "/settings/export")})
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(resp.get_data(as_text=True))
    assert [p["body"] for p in data["posts"]][1:] == bodies
    assert len(bodies) > 100
