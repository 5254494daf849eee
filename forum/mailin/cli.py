"""``forum mail receive`` (one message on standard input, for an MTA pipe) and
``forum mail smtpd`` (the built-in SMTP receiver).

``receive`` exits with the sysexits codes an MTA understands: 0 when the message was
handled (posted, refused with its bounce, ignored as automatic, or a redelivery), 65
(EX_DATAERR) when the input is no email message, 75 (EX_TEMPFAIL) when the forum could
not store it now, so that the MTA keeps it and tries again."""

from __future__ import annotations

import sys
import time

import click
from flask import current_app
from sqlalchemy.exc import OperationalError

from forum.extensions import db
from forum.mailin import bp, services

EX_OK, EX_DATAERR, EX_TEMPFAIL = 0, 65, 75


@bp.cli.command("receive")
@click.option("--recipient", default=None, help="The envelope recipient (Postfix: ${original_recipient}).")
@click.option("--sender", default=None, help="The envelope sender (Postfix: ${sender}); empty for a bounce.")
def receive_command(recipient: str | None, sender: str | None) -> None:
    """Read one RFC 5322 message on standard input and post it as a reply."""
    stream = getattr(sys.stdin, "buffer", sys.stdin)
    raw = stream.read(int(current_app.config["MAIL_INBOUND_MAX_BYTES"]) + 1)
    try:
        outcome = services.receive(raw, recipient=recipient or None, sender=sender)
    except services.NotAMessage as exc:
        click.echo(f"forum mail receive: {exc}", err=True)
        sys.exit(EX_DATAERR)
    except OperationalError as exc:
        db.session.rollback()
        click.echo(f"forum mail receive: could not store the message now: {exc.__class__.__name__}", err=True)
        sys.exit(EX_TEMPFAIL)
    parts = [outcome.status] + [p for p in (outcome.reason, outcome.url) if p]
    if outcome.bounced:
        parts.append("bounce queued")
    click.echo(" ".join(parts))
    sys.exit(EX_OK)


@bp.cli.command("smtpd")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8025, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
def smtpd_command(host: str, port: int) -> None:
    """Run the built-in SMTP receiver for reply addresses until interrupted."""
    from forum.mailin.smtpd import start_receiver

    if not current_app.config.get("MAIL_REPLY_DOMAIN"):
        raise click.ClickException("Set FORUM_MAIL_REPLY_DOMAIN first: without it no address takes replies.")
    controller = start_receiver(current_app._get_current_object(), host, port)
    click.echo(f"Receiving replies for *@{current_app.config['MAIL_REPLY_DOMAIN']} on {host}:{port} (Ctrl-C stops)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
