"""The built-in SMTP receiver (aiosmtpd), for tests and small sites: it accepts mail
for the reply addresses only and hands each message to :func:`forum.mailin.services.receive`.

Answers: ``250`` once handled (posted, refused with a bounce, or ignored), ``550`` for
an address that is not a reply address or input that is no mail, ``451`` (try again
later) when the forum could not store it, e.g. the database is down."""

from __future__ import annotations

import asyncio

from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy.exc import OperationalError

from forum.extensions import db
from forum.mailin import services, tokens


class ReplyHandler:
    """aiosmtpd handler: ``RCPT`` checks the address, ``DATA`` stores the reply."""

    def __init__(self, app: Flask):
        self.app = app

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook name
        with self.app.app_context():
            ok = tokens.token_in_address(address) is not None
        if not ok:
            return "550 5.1.1 Not a reply address here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._store, raw, list(envelope.rcpt_tos), envelope.mail_from or "")

    def _store(self, raw: bytes, recipients: list[str], sender: str) -> str:
        with self.app.app_context():
            try:
                for recipient in recipients:
                    services.receive(raw, recipient=recipient, sender=sender)
            except services.NotAMessage:
                return "550 5.6.0 That is not an email message"
            except OperationalError:
                self.app.logger.exception("mailin: could not store a reply")
                return "451 4.3.0 Could not store the reply now, try again later"
            finally:
                db.session.remove()
        return "250 OK"


def start_receiver(app: Flask, host: str, port: int) -> Controller:
    """Start the receiver in a thread (``controller.stop()`` ends it)."""
    limit = int(app.config["MAIL_INBOUND_MAX_BYTES"])
    # Bigger mail is still taken (up to twice the limit) so that it gets the "too long" bounce.
    controller = Controller(ReplyHandler(app), hostname=host, port=port, data_size_limit=2 * limit)
    controller.start()
    return controller
