"""Outgoing mail. With ``FORUM_SMTP_HOST`` set, mail goes out through smtplib;
otherwise each message is written as an ``.eml`` file to ``FORUM_MAIL_OUTBOX``.

Services call :func:`queue_mail`; the message leaves only after the commit."""

import os
import smtplib
import ssl
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app

from forum.aftercommit import after_commit


def build_message(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> EmailMessage:
    """A plain-text message; ``headers`` adds more (e.g. ``List-Unsubscribe``)."""
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="community.example")
    msg["Date"] = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg


def outbox_dir() -> Path:
    configured = current_app.config.get("MAIL_OUTBOX")
    return Path(configured) if configured else Path(current_app.instance_path) / "outbox"


def deliver(msg: EmailMessage) -> None:
    """Send now: SMTP when configured, else a file in the outbox folder."""
    cfg = current_app.config
    if cfg.get("SMTP_HOST"):
        smtp_cls = smtplib.SMTP_SSL if cfg.get("SMTP_SSL") else smtplib.SMTP
        with smtp_cls(cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), timeout=cfg["SMTP_TIMEOUT"]) as smtp:
            if cfg.get("SMTP_STARTTLS"):
                smtp.starttls(context=ssl.create_default_context())
            if cfg.get("SMTP_USERNAME"):
                smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"] or "")
            smtp.send_message(msg)
        return
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    final = folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    tmp = final.with_suffix(".tmp")
    tmp.write_bytes(msg.as_bytes())
    os.replace(tmp, final)  # readers never see a half-written file


def queue_mail(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    """Send a plain-text mail once the current transaction commits."""
    from forum.extensions import db

    msg = build_message(to, subject, body, headers)
    app = current_app._get_current_object()
    session = db.session()
    if not session.in_transaction():
        # Without an open transaction a rollback fires no event, so the mail would
        # wait for, and go out with, whatever commits next. Open one to tie it to.
        session.begin()

    def _send() -> None:
        with app.app_context():
            deliver(msg)

    after_commit(_send)
