"""The built-in SMTP receiver, started on loopback, receiving replies sent with smtplib."""

from __future__ import annotations

import smtplib

import pytest

from forum.mailin import tokens
from forum.mailin.smtpd import start_receiver
from tests.conftest import read_outbox
from tests.mailin.conftest import DOMAIN, build_mail, reply_address, topic_replies

PORT = 5241


@pytest.fixture
def receiver(app):
    controller = start_receiver(app, "127.0.0.1", PORT)
    yield controller
    controller.stop()


def test_a_reply_sent_over_smtp_becomes_a_post(app, forum_setup, receiver):
    address = reply_address(app, forum_setup["member"]["id"], tokens.TOPIC, forum_setup["topic_id"])
    raw = build_mail(address, "Sent over SMTP.\n\n-- \nJess K\nSent from my phone\n")
    with smtplib.SMTP("127.0.0.1", PORT, timeout=10) as smtp:
        refused = smtp.sendmail("Jess.K@example.test", [address], raw)
    assert refused == {}
    assert topic_replies(app, forum_setup["topic_id"]) == ["Sent over SMTP."]


def test_the_receiver_takes_mail_for_reply_addresses_only(app, forum_setup, receiver):
    with smtplib.SMTP("127.0.0.1", PORT, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as exc:
            smtp.sendmail("someone@example.test", [f"postmaster@{DOMAIN}"], build_mail(f"postmaster@{DOMAIN}"))
    [(code, _message)] = exc.value.recipients.values()
    assert code == 550


def test_a_refusal_over_smtp_is_accepted_and_bounced_once(app, forum_setup, receiver):
    address = reply_address(app, forum_setup["member"]["id"], tokens.TOPIC, forum_setup["topic_id"])
    raw = build_mail(address, "My card is 4111 1111 1111 1111")
    with smtplib.SMTP("127.0.0.1", PORT, timeout=10) as smtp:
        assert smtp.sendmail("Jess.K@example.test", [address], raw) == {}
        assert smtp.sendmail("Jess.K@example.test", [address], raw) == {}  # redelivered
    assert topic_replies(app, forum_setup["topic_id"]) == []
    [bounce] = read_outbox(app)
    assert bounce["To"] == "jess.k@example.test"
    assert "a payment card number" in bounce.get_content()


def test_a_bounce_arriving_over_smtp_with_a_null_sender_is_not_answered(app, forum_setup, receiver):
    address = reply_address(app, forum_setup["member"]["id"], tokens.TOPIC, forum_setup["topic_id"])
    with smtplib.SMTP("127.0.0.1", PORT, timeout=10) as smtp:
        assert smtp.sendmail("<>", [address], build_mail(address, "Undeliverable")) == {}
    assert read_outbox(app) == []
    assert topic_replies(app, forum_setup["topic_id"]) == []
