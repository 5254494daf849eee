"""``forum mail receive``: a reply on standard input becomes a post (or a private
message) through the existing services; every refusal sends exactly one bounce and
stores nothing; automatic mail is never answered; a redelivered mail posts once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db, limiter
from forum.mailin import tokens
from forum.messages import services as message_services
from forum.models import Conversation, InboundMail, Message, Topic, User
from forum.models.base import utcnow
from forum.notify import notify
from forum.topics import services as topic_services
from tests.conftest import read_outbox
from tests.mailin.conftest import DOMAIN, build_mail, reply_address, topic_replies


def receive(runner, raw: bytes, *args: str):
    return runner.invoke(args=["mail", "receive", *args], input=raw)


def _address(app, forum_setup, user_key="member"):
    return reply_address(app, forum_setup[user_key]["id"], tokens.TOPIC, forum_setup["topic_id"])


# --- the reply address in notification mails -------------------------------------------


def test_a_reply_notification_carries_the_members_reply_address_and_a_reply_posts(app, runner, client, forum_setup):
    with app.app_context():  # the member replied on the site; the asker answers: the member is notified
        topic = db.session.get(Topic, forum_setup["topic_id"])
        mine = topic_services.reply_to_topic(topic, author=db.session.get(User, forum_setup["member"]["id"]), body="Same here.")
        db.session.commit()
        topic_services.reply_to_topic(topic, author=db.session.get(User, forum_setup["asker"]["id"]), body="Any luck?",
                                      parent=mine)
        db.session.commit()
    mails = [m for m in read_outbox(app) if m["To"] == forum_setup["member"]["email"]]
    assert len(mails) == 1
    reply_to = mails[0]["Reply-To"]
    assert reply_to.startswith("reply+")
    assert reply_to.endswith("@" + DOMAIN)
    assert "Reply to this email to answer" in mails[0].get_content()
    with app.app_context():
        assert tokens.read_token(tokens.token_in_address(reply_to)) == tokens.ReplyTarget(
            forum_setup["member"]["id"], tokens.TOPIC, forum_setup["topic_id"])

    result = receive(runner, build_mail(reply_to, "It came back this morning.\n\nOn Tue, 1 Dec 2026 at 18:00, "
                                        "Connect Community <" + reply_to + "> wrote:\n> Any luck?\n"))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("posted /p/")
    assert topic_replies(app, forum_setup["topic_id"]) == ["Same here.", "Any luck?", "It came back this morning."]
    with app.app_context():
        topic = db.session.get(Topic, forum_setup["topic_id"])
        path = f"/t/{topic.id}-{topic.slug}"
    assert "It came back this morning." in client.get(path).get_data(as_text=True)


def test_no_reply_address_when_reply_by_email_is_off(app, monkeypatch, forum_setup):
    monkeypatch.setitem(app.config, "MAIL_REPLY_DOMAIN", None)
    with app.app_context():
        notify([forum_setup["member"]["id"]], kind="reply", text="Someone replied", url="/t/1", topic=forum_setup["topic_id"])
        db.session.commit()
    [mail] = read_outbox(app)
    assert mail["Reply-To"] is None
    assert "Reply to this email" not in mail.get_content()


def test_staff_get_no_reply_address_unless_allowed(app, make_user, monkeypatch, forum_setup):
    staff = make_user("care.priya", role="staff")
    with app.app_context():
        notify([staff["id"]], kind="reply", text="A member replied", url="/t/1", topic=forum_setup["topic_id"])
        db.session.commit()
    assert read_outbox(app)[0]["Reply-To"] is None
    monkeypatch.setitem(app.config, "MAIL_REPLY_STAFF", True)
    with app.app_context():
        notify([staff["id"]], kind="official_answer", text="Another", url="/t/1", topic=forum_setup["topic_id"])
        db.session.commit()
    assert read_outbox(app)[-1]["Reply-To"].endswith("@" + DOMAIN)


def test_a_message_notification_carries_the_conversation_address(app, make_user):
    user = make_user("reader")
    with app.app_context():
        notify([user["id"]], kind="message", text="Customer Care sent you a private message.", url="/messages/7")
        db.session.commit()
        [mail] = read_outbox(app)
        token = tokens.token_in_address(mail["Reply-To"])
        assert tokens.read_token(token) == tokens.ReplyTarget(user["id"], tokens.CONVERSATION, 7)


# --- replies that post --------------------------------------------------------------


def test_html_only_reply_is_converted_and_quoted_history_dropped(app, runner, forum_setup):
    html = ('<div dir="ltr">Try <b>airplane mode</b> on and off.<div>It worked for me.</div></div>'
            '<div class="gmail_quote"><div class="gmail_attr">On Tue, 1 Dec 2026 wrote:</div>'
            '<blockquote class="gmail_quote">Hello jess_k, asker replied</blockquote></div>')
    result = receive(runner, build_mail(_address(app, forum_setup), None, html=html))
    assert result.exit_code == 0, result.output
    assert topic_replies(app, forum_setup["topic_id"]) == ["Try airplane mode on and off.\nIt worked for me."]


def test_text_part_is_preferred_to_html(app, runner, forum_setup):
    raw = build_mail(_address(app, forum_setup), "Plain text wins.", html="<p>HTML loses.</p>")
    assert receive(runner, raw).exit_code == 0
    assert topic_replies(app, forum_setup["topic_id"]) == ["Plain text wins."]


def test_the_same_message_id_never_posts_twice(app, runner, forum_setup):
    raw = build_mail(_address(app, forum_setup), "Only once, please.", message_id="<dup-1@mail.example.test>")
    assert receive(runner, raw).output.startswith("posted")
    again = receive(runner, raw)
    assert again.exit_code == 0
    assert again.output.strip() == "duplicate"
    assert topic_replies(app, forum_setup["topic_id"]) == ["Only once, please."]
    assert bounces(app) == []


def test_a_reply_to_a_private_conversation_becomes_a_message(app, runner, make_user):
    care = make_user("care.tom", role="staff")
    member = make_user("jess_k", email="jess@example.test")
    with app.app_context():
        conv = message_services.start_conversation(
            db.session.get(User, care["id"]), db.session.get(User, member["id"]), subject="Your bill",
            body="Can you tell us your account number?")
        db.session.commit()
        conv_id = conv.id
    address = reply_address(app, member["id"], tokens.CONVERSATION, conv_id)
    # Private: the personal-data guard does not apply (this is the private route).
    result = receive(runner, build_mail(address, "It is 12345678, sort code 12-34-56.", sender="jess@example.test"))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"posted /messages/{conv_id}"
    with app.app_context():
        bodies = list(db.session.scalars(select(Message.body).where(Message.conversation_id == conv_id).order_by(Message.id)))
        assert bodies[-1] == "It is 12345678, sort code 12-34-56."
        assert db.session.get(Conversation, conv_id).waiting_since is not None  # back in the staff inbox


# --- refusals: one bounce each, nothing stored ----------------------------------------


def bounces(app) -> list:
    return [m for m in read_outbox(app) if m["Subject"].endswith("Your reply was not posted")]


def _one_bounce(app, to: str, *words: str):
    mails = bounces(app)
    assert len(mails) == 1, [m["Subject"] for m in mails]
    [bounce] = mails
    assert bounce["To"] == to
    assert bounce["Auto-Submitted"] == "auto-replied"
    assert bounce["Subject"].endswith("Your reply was not posted")
    text = bounce.get_content()
    for word in words:
        assert word in text, text
    return bounce


def _nothing_posted(app, forum_setup):
    assert topic_replies(app, forum_setup["topic_id"]) == []


@pytest.mark.parametrize(("change", "reason", "words"), [
    ("bad_token", "bad_token", ["not valid"]),
    ("expired", "expired", ["expired"]),
    ("locked", "locked", ["locked"]),
    ("suspended", "suspended", ["suspended"]),
    ("unknown_sender", "unknown_sender", ["belongs to another account"]),
    ("empty", "empty", ["no text"]),
    ("too_long", "too_long", ["too long"]),
    ("personal_data", "personal_data", ["a UK phone number", "privately", "/messages/new?topic="]),
    ("no_address", "no_address", ["does not take replies"]),
    ("merged", "gone", ["no longer there"]),
])
def test_each_refusal_sends_one_bounce_and_stores_nothing(app, runner, forum_setup, monkeypatch, change, reason, words):
    address = _address(app, forum_setup)
    body = "Restarting the phone fixed it for me."
    sender = "Jess K <Jess.K@example.test>"
    if change == "bad_token":
        address = address.replace("+", "+x", 1)
    elif change == "expired":
        monkeypatch.setitem(app.config, "MAIL_REPLY_MAX_AGE", -1)
    elif change == "locked":
        with app.app_context():
            db.session.get(Topic, forum_setup["topic_id"]).is_locked = True
            db.session.commit()
    elif change == "suspended":
        with app.app_context():
            db.session.get(User, forum_setup["member"]["id"]).suspended_indefinitely = True
            db.session.commit()
    elif change == "unknown_sender":
        sender = "someone@elsewhere.example"
    elif change == "empty":
        body = "\n\nOn Tue, 1 Dec 2026 at 18:00, Connect Community wrote:\n> Hello jess_k\n"
    elif change == "too_long":
        body = "word " * (topic_services.BODY_MAX // 5 + 10)
    elif change == "personal_data":
        body = "Call me on 07700 900123 please."
    elif change == "no_address":
        address = f"support@{DOMAIN}"
    elif change == "merged":
        with app.app_context():
            other = topic_services.create_topic(
                db.session.get(Topic, forum_setup["topic_id"]).category, author=db.session.get(User, forum_setup["asker"]["id"]),
                title="Another topic about 4G", body="x")
            db.session.flush()
            db.session.get(Topic, forum_setup["topic_id"]).merged_into_id = other.id
            db.session.commit()
    result = receive(runner, build_mail(address, body, sender=sender))
    assert result.exit_code == 0, result.output
    assert result.output.split()[:2] == ["refused", reason]
    expected_to = "someone@elsewhere.example" if change == "unknown_sender" else "jess.k@example.test"
    _one_bounce(app, expected_to, *words)
    _nothing_posted(app, forum_setup)
    with app.app_context():
        [row] = db.session.scalars(select(InboundMail)).all()
        assert (row.outcome, row.reason) == ("refused", reason)


def test_a_redelivered_refusal_bounces_once(app, runner, forum_setup):
    raw = build_mail(_address(app, forum_setup).replace("+", "+x", 1), message_id="<again@mail.example.test>")
    assert receive(runner, raw).output.startswith("refused bad_token")
    assert receive(runner, raw).output.strip() == "duplicate"
    assert len(read_outbox(app)) == 1


@pytest.mark.parametrize("headers", [
    {"Auto-Submitted": "auto-replied"},
    {"Auto-Submitted": "auto-generated"},
    {"Return-Path": "<>"},
    {"Precedence": "bulk"},
    {"X-Autoreply": "yes"},
])
def test_automatic_mail_is_never_answered(app, runner, forum_setup, headers):
    raw = build_mail(_address(app, forum_setup).replace("+", "+x", 1), "I am out of the office.", headers=headers)
    result = receive(runner, raw)
    assert result.exit_code == 0
    assert result.output.startswith("ignored")
    assert read_outbox(app) == []
    _nothing_posted(app, forum_setup)


def test_a_bounce_from_a_mailer_daemon_or_a_null_sender_is_not_answered(app, runner, forum_setup):
    raw = build_mail(f"support@{DOMAIN}", "Delivery failed", sender="MAILER-DAEMON@mx.example.test")
    assert receive(runner, raw).output.startswith("ignored daemon")
    raw = build_mail(f"support@{DOMAIN}", "Delivery failed")
    assert receive(runner, raw, "--sender", "").output.startswith("ignored null_sender")
    assert read_outbox(app) == []


def test_bounces_to_one_address_are_capped_per_hour(app, runner, forum_setup, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BOUNCES_PER_HOUR", 2)
    for _ in range(4):
        assert receive(runner, build_mail(f"support@{DOMAIN}", "hello")).exit_code == 0
    assert len(read_outbox(app)) == 2
    with app.app_context():
        assert db.session.scalar(select(func.count(InboundMail.id))) == 4


def test_the_posting_limit_applies_to_replies_by_email(app, runner, forum_setup, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "RATELIMIT_POSTS_NEW_MEMBER", "1 per hour")
    try:
        assert receive(runner, build_mail(_address(app, forum_setup), "First reply.")).output.startswith("posted")
        result = receive(runner, build_mail(_address(app, forum_setup), "Second reply."))
        assert result.output.startswith("refused rate_limited")
        _one_bounce(app, "jess.k@example.test", "posted a lot in a short time")
        assert topic_replies(app, forum_setup["topic_id"]) == ["First reply."]
    finally:
        with app.app_context():
            limiter.reset()


def test_a_member_suspended_until_later_is_told_so(app, runner, forum_setup):
    from datetime import timedelta

    with app.app_context():
        db.session.get(User, forum_setup["member"]["id"]).suspended_until = utcnow() + timedelta(days=2)
        db.session.commit()
    assert receive(runner, build_mail(_address(app, forum_setup))).output.startswith("refused suspended")
    _one_bounce(app, "jess.k@example.test", "Your account is suspended")


# --- what the MTA sees ----------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"   \n", b"this is not an email at all"])
def test_input_that_is_no_mail_exits_65(runner, raw):
    result = receive(runner, raw)
    assert result.exit_code == 65
    assert read_outbox(runner.app) == []


def test_a_database_outage_exits_75_so_the_mta_retries(app, runner, forum_setup, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from forum.mailin import services

    def down(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(services, "_handle", down)
    result = receive(runner, build_mail(_address(app, forum_setup)))
    assert result.exit_code == 75
    _nothing_posted(app, forum_setup)


def test_the_envelope_recipient_option_is_used(app, runner, forum_setup):
    raw = build_mail("Undisclosed recipients:;", "Posted through the envelope address.")
    result = receive(runner, raw, "--recipient", _address(app, forum_setup))
    assert result.output.startswith("posted"), result.output
