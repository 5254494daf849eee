"""Outgoing mail. With ``FORUM_SMTP_HOST`` set, mail goes out through smtplib;
otherwise each message is written as an ``.eml`` file to ``FORUM_MAIL_OUTBOX``.

Services call :func:`queue_mail`; the message leaves only after the commit, as a
``mail.send`` job (``forum.jobqueue``)."""

import hashlib
import os
import smtplib
import ssl
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app

from forum.jobqueue import enqueue, job


def build_message(to: str, subject: str, body: str, headers: dict[str, str] | None = None,
                  *, key: str | None = None) -> EmailMessage:
    """A plain-text message; ``headers`` adds more (e.g. ``List-Unsubscribe``). With
    ``key`` (the job's event key) the Message-ID is derived from it, so a message sent
    twice by a retried job is recognisably the same message."""
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    if key:
        msg["Message-ID"] = f"<{_key_hash(key)}@community.example>"
    else:
        msg["Message-ID"] = make_msgid(domain="community.example")
    msg["Date"] = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def outbox_dir() -> Path:
    configured = current_app.config.get("MAIL_OUTBOX")
    return Path(configured) if configured else Path(current_app.instance_path) / "outbox"


def deliver(msg: EmailMessage, *, key: str | None = None) -> None:
    """Send now: SMTP when configured, else a file in the outbox folder. With ``key``,
    the outbox file carries the key's hash and a second delivery of the same key writes
    nothing (over SMTP the repeated Message-ID lets mail systems drop the copy)."""
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
    suffix = _key_hash(key) if key else uuid.uuid4().hex[:8]
    if key and any(folder.glob(f"*-{suffix}.eml")):
        return  # this job's message is already there: a retry after a crash
    final = folder / f"{stamp}-{suffix}.eml"
    tmp = final.with_suffix(".tmp")
    tmp.write_bytes(msg.as_bytes())
    os.replace(tmp, final)  # readers never see a half-written file


def queue_mail(to: str, subject: str, body: str, headers: dict[str, str] | None = None,
               *, key: str | None = None) -> None:
    """Send a plain-text mail once the current transaction commits: a ``mail.send``
    job written in this transaction (``forum.jobqueue``), so the mail goes out exactly
    when the change is committed, once, even if the sender crashes or retries."""
    key = key or f"mail:{uuid.uuid4().hex}"
    enqueue("mail.send", {"to": to, "subject": subject, "body": body, "headers": headers or {}, "key": key}, key=key)


@job("mail.send")
def send_job(*, to: str, subject: str, body: str, headers: dict[str, str], key: str) -> None:
    """The ``mail.send`` job: build the message now and deliver it."""
    deliver(build_message(to, subject, body, headers, key=key), key=key)
