"""The personal-data guard: positive and negative examples for every built-in check,
and the warning on the public new-topic and reply forms (nothing silently changed)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum import personal_data
from forum.extensions import db
from forum.models import Conversation, Message, Post, Topic
from tests.messages.conftest import post

EXAMPLES = {
    "uk_phone": (
        ["Call me on 07700 900123", "my number is +44 7700 900123", "ring 0044 (0)20 7946 0958",
         "landline 020 7946 0958", "01632 960 001 after 6", "07700-900-123"],
        ["Call 0800 123 4567 (the free line)", "version 12.3.4 of the app", "I paid £10 on 2024-05-12",
         "postcode LS1 4DY", "my 077009001 is short"],
    ),
    "ie_phone": (
        ["text me: 087 123 4567", "085-123-4567", "+353 87 123 4567", "00353 1 234 5678", "0831234567"],
        ["Dublin 8 is where I live", "my router model is 8712345", "dial 1800 123 456"],
    ),
    "iban": (
        ["my IBAN is GB82 WEST 1234 5698 7654 32", "IE29AIBK93115212345678", "pay to gb82west12345698765432"],
        ["GB82 WEST 1234 5698 7654 33 (bad check digits)", "the code AB12CD34EF56GH is a voucher", "GB82"],
    ),
    "card": (
        ["card 4111 1111 1111 1111", "5555-5555-5555-4444 was charged", "378282246310005",
         "my visa 4012888888881881"],
        ["4111 1111 1111 1112 (fails Luhn)", "order 1234567890123456", "IMEI-like 12345", "2024-05-12-10-30"],
    ),
    "account_number": (
        ["My account number is 12345678", "acct no. 98765432", "Account: 1234-5678-90", "sort code 12-34-56",
         "a/c 12345678"],
        ["my account was charged twice", "account for 3 months", "sort of a code", "the 12-34 bus"],
    ),
}


def _cases(positive: bool):
    return [pytest.param(name, text, id=f"{name}-{i}") for name, (pos, neg) in EXAMPLES.items()
            for i, text in enumerate(pos if positive else neg)]


@pytest.mark.parametrize(("name", "text"), _cases(True))
def test_positive_examples_match(name, text):
    assert personal_data.BUILTIN_CHECKS[name].matches(text)


@pytest.mark.parametrize(("name", "text"), _cases(False))
def test_negative_examples_do_not_match(name, text):
    assert not personal_data.BUILTIN_CHECKS[name].matches(text)


def test_everyday_posts_are_not_flagged(app):
    with app.test_request_context():
        assert personal_data.find_personal_data(
            "No 4G in Leeds since Tuesday", "I restarted my phone 3 times. Called 0800 123 4567, ref 2024-05-12."
        ) == []


def test_checksums():
    assert personal_data.luhn_ok("4111111111111111")
    assert not personal_data.luhn_ok("4111111111111112")
    assert personal_data.iban_ok("GB82 WEST 1234 5698 7654 32")
    assert not personal_data.iban_ok("GB82 WEST 1234 5698 7654 33")


def test_checks_are_configurable(app):
    app.config["PERSONAL_DATA_CHECKS"] = ["iban"]
    app.config["PERSONAL_DATA_EXTRA_PATTERNS"] = {"a customer number": r"\bCN-\d{6}\b"}
    try:
        with app.test_request_context():
            assert personal_data.find_personal_data("call 07700 900123") == []
            assert personal_data.find_personal_data("my ref CN-123456") == ["a customer number"]
        app.config["PERSONAL_DATA_CHECKS"] = []
        app.config["PERSONAL_DATA_EXTRA_PATTERNS"] = {}
        with app.test_request_context():
            assert personal_data.find_personal_data("GB82 WEST 1234 5698 7654 32") == []
    finally:
        app.config["PERSONAL_DATA_CHECKS"] = None
        app.config["PERSONAL_DATA_EXTRA_PATTERNS"] = {}


# --- the forms -------------------------------------------------------------------

def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_new_topic_warns_then_posts_after_confirmation(app, client_for, people, category):
    c = client_for(people["member"])
    path = f"/c/{category['slug']}/new"
    body = "Please call me on 07700 900123, card 4111 1111 1111 1111"
    resp = post(c, path, {"title": "Call me back please", "body": body}, path)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "This may be personal data" in html
    assert "a UK phone number" in html
    assert "a payment card number" in html
    assert "I understand, post it publicly" in html
    assert "Send it privately to Customer Care instead" in html
    assert "07700 900123" in html  # the text is kept as typed, not changed
    assert _count(app, Topic) == 0
    resp = post(c, path, {"title": "Call me back please", "body": body, "confirm_public": "y"}, path)
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Post.body)) == body  # nothing silently changed


def test_reply_warns_and_can_be_sent_privately(app, client_for, people, build, category):
    with build() as b:
        topic_id = b.topic(category, people["other"]["id"], title="Bill is wrong again").id
    c = client_for(people["member"])
    path = f"/t/{topic_id}/reply"
    body = "Same here, my IBAN is GB82 WEST 1234 5698 7654 32"
    resp = post(c, path, {"body": body}, path)
    html = resp.get_data(as_text=True)
    assert "a bank account number (IBAN)" in html
    assert f'name="topic_id" value="{topic_id}"' in html
    assert _count(app, Post) == 1  # only the opening post
    # The "send it privately" button posts the same fields to /messages/private.
    resp = post(c, "/messages/private", {"body": body, "topic_id": str(topic_id)}, path)
    assert resp.status_code == 302
    assert _count(app, Post) == 1
    with app.app_context():
        conv = db.session.scalar(select(Conversation))
        assert conv.is_team
        assert conv.member_id == people["member"]["id"]
        assert conv.topic_id == topic_id
        assert conv.subject == "About: Bill is wrong again"
        assert db.session.scalar(select(Message.body)) == body
    follow = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Nothing was posted publicly" in follow


def test_new_topic_sent_privately_uses_title(app, client_for, people, category):
    c = client_for(people["member"])
    resp = post(c, "/messages/private", {"title": "My  account", "body": "acct no 12345678"}, f"/c/{category['slug']}/new")
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Conversation.subject)) == "My account"
    assert _count(app, Topic) == 0


@pytest.mark.parametrize(("data", "status"), [({"body": ""}, 422), ({"body": "x" * 10_001}, 422),
                                             ({"body": "x", "topic_id": "abc"}, 400), ({"body": "x", "topic_id": "999"}, 404)])
def test_send_privately_bad_input(app, client_for, people, data, status):
    c = client_for(people["member"])
    resp = post(c, "/messages/private", data)
    assert resp.status_code == status
    assert _count(app, Conversation) == 0


def test_send_privately_needs_sign_in(client):
    resp = post(client, "/messages/private", {"body": "x"}, "/login")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def test_clean_text_posts_without_warning(app, client_for, people, category):
    c = client_for(people["member"])
    path = f"/c/{category['slug']}/new"
    resp = post(c, path, {"title": "No 4G in Leeds", "body": "Since Tuesday, called 0800 123 4567"}, path)
    assert resp.status_code == 302
