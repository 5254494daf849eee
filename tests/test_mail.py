"""Outgoing mail: .eml files in the outbox without SMTP, smtplib with it, and never
before the database commit."""

from __future__ import annotations

import logging
import re
import socket
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from forum.accounts import services as account_services
from forum.extensions import db
from forum.mail import build_message, deliver, outbox_dir, queue_mail
from forum.models import User
from forum.models.jobs import JobOutbox
from tests.accounts.helpers import cheap_scrypt
from tests.conftest import PASSWORD, csrf_token, read_outbox

STRONG = "Plenty-long-Passphrase-7"
LINK = re.compile(r"http://localhost(/verify/[A-Za-z0-9_.\-]+)")


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch):
    """Registration hashes with a tiny scrypt cost here; tests/accounts checks the real one."""
    monkeypatch.setattr(account_services, "hash_password", cheap_scrypt)


def register(client, username="jess", email="jess@example.com"):
    return client.post(
        "/register",
        data={
            "username": username,
            "email": email,
            "password": STRONG,
            "confirm": STRONG,
            "csrf_token": csrf_token(client, "/register"),
        },
    )


def is_verified(app, username: str) -> bool:
    with app.app_context():
        return db.session.scalar(select(User.email_verified_at).where(User.username == username)) is not None


def outbox_files(app) -> list[Path]:
    folder = Path(app.config["MAIL_OUTBOX"])
    return sorted(folder.iterdir()) if folder.exists() else []


# --- the outbox (no SMTP) ----------------------------------------------------------


def test_registration_mail_lands_in_outbox_and_its_link_verifies(app, client):
    assert register(client).status_code == 302
    files = outbox_files(app)
    assert len(files) == 1
    assert files[0].suffix == ".eml"
    (msg,) = read_outbox(app)
    assert msg["To"] == "jess@example.com"
    assert msg["From"] == app.config["MAIL_SENDER"]
    assert msg["Subject"] == f"Confirm your email for {app.config['BRAND_NAME']}"
    assert msg["Message-ID"]
    assert msg["Date"]
    body = msg.get_content()
    assert "Hello jess," in body
    assert "The link expires in 72 hours." in body
    assert STRONG not in body
    (path,) = LINK.findall(body)

    assert not is_verified(app, "jess")
    resp = client.get(path, follow_redirects=True)
    assert resp.status_code == 200
    assert "Thank you, your email address is confirmed. You can now post." in resp.get_data(as_text=True)
    assert is_verified(app, "jess")
    assert "Confirm your email address to start posting" not in client.get("/").get_data(as_text=True)


def test_reset_mail_lands_in_outbox(app, client, make_user):
    make_user("jess", email="jess@example.com")
    client.post("/reset", data={"email": "jess@example.com", "csrf_token": csrf_token(client, "/reset")})
    (msg,) = read_outbox(app)
    assert msg["Subject"] == f"Reset your {app.config['BRAND_NAME']} password"
    assert "http://localhost/reset/" in msg.get_content()
    assert PASSWORD not in msg.get_content()


def test_outbox_defaults_to_the_instance_folder(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_OUTBOX", None)
    with app.app_context():
        assert outbox_dir() == Path(app.instance_path) / "outbox"


def test_non_ascii_mail_round_trips(app):
    with app.app_context():
        deliver(build_message("zoë@example.com", "Grüße — ✓", "Hallo Zoë,\n\nΓειά σου ✓\n"))
    (msg,) = read_outbox(app)
    assert msg["Subject"] == "Grüße — ✓"
    assert msg.get_content() == "Hallo Zoë,\n\nΓειά σου ✓\n"


# --- only after commit ---------------------------------------------------------------


def test_mail_waits_for_commit(app):
    with app.app_context():
        user = account_services.create_user(username="jess", email="jess@example.com", password=STRONG)
        account_services.send_verification_mail(user)
        db.session.flush()
        assert read_outbox(app) == []  # flushed is not committed
        db.session.commit()
    assert [m["To"] for m in read_outbox(app)] == ["jess@example.com"]


def test_rolled_back_transaction_sends_nothing(app):
    with app.app_context():
        user = account_services.create_user(username="jess", email="jess@example.com", password=STRONG)
        account_services.send_verification_mail(user)
        db.session.rollback()
        assert read_outbox(app) == []
        # A later, unrelated commit must not send the abandoned mail either.
        account_services.create_user(username="other", email="other@example.com", password=STRONG)
        db.session.commit()
    assert read_outbox(app) == []


def test_mail_queued_before_any_query_is_dropped_on_rollback(app):
    with app.app_context():
        queue_mail("jess@example.com", "Never", "This transaction is rolled back.")
        db.session.rollback()
        db.session.commit()
    assert read_outbox(app) == []


def test_failed_registration_sends_nothing(app, client, make_user):
    make_user("jess", email="jess@example.com")
    assert register(client, "JESS", "new@example.com").status_code == 422
    assert read_outbox(app) == []


def test_registration_with_a_known_address_mails_only_its_owner(app, client, make_user):
    """The form answers as for a new address (issue 18); the owner is told by mail."""
    make_user("jess", email="jess@example.com")
    assert register(client, "newbie", "JESS@example.com").status_code == 302
    (msg,) = read_outbox(app)
    assert msg["To"] == "jess@example.com"
    assert "You already have" in msg["Subject"]


# --- SMTP ------------------------------------------------------------------------------


class Collector:
    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content)
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(app, monkeypatch):
    """A local SMTP server; the app is configured to send through it for this test."""
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", controller.port)
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 5)
    try:
        yield handler
    finally:
        controller.stop()


def test_with_smtp_mail_goes_to_the_server_and_link_works(app, client, smtp_server):
    assert register(client).status_code == 302
    assert outbox_files(app) == []  # not in the outbox
    ((mail_from, rcpt_tos, raw),) = smtp_server.messages
    assert rcpt_tos == ["jess@example.com"]
    assert mail_from == "no-reply@community.example"
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["To"] == "jess@example.com"
    assert msg["Subject"].startswith("Confirm your email")
    (path,) = LINK.findall(msg.get_content())
    assert client.get(path).status_code == 302
    assert is_verified(app, "jess")


def test_with_smtp_nothing_is_sent_on_rollback(app, smtp_server):
    with app.app_context():
        user = account_services.create_user(username="jess", email="jess@example.com", password=STRONG)
        account_services.send_verification_mail(user)
        db.session.rollback()
    assert smtp_server.messages == []


def test_smtp_failure_keeps_the_account_and_is_logged(app, client, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # nothing listens there
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 2)
    with caplog.at_level(logging.ERROR):
        resp = register(client)
    assert resp.status_code == 302  # the committed account is not undone by the mail
    with app.app_context():
        assert db.session.scalar(select(User.username)) == "jess"
        # The mail job is kept with its error, to be retried (forum.jobqueue).
        job = db.session.scalar(select(JobOutbox).where(JobOutbox.task == "mail.send"))
        assert job.attempts == 1
        assert job.done_at is None
        assert "Connection refused" in job.last_error
    assert any("job" in r.getMessage() and "mail.send" in r.getMessage() for r in caplog.records)
    assert outbox_files(app) == []
