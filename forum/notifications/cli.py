"""``forum notifications send-digests``."""

import click

from forum.actions import cli_action
from forum.notifications import emails, notifications_cli


@notifications_cli.cli.command("send-digests")
def send_digests() -> None:
    """Email the daily digest to members who chose it. Safe to run twice."""
    with cli_action():
        sent = emails.send_digests()
    click.echo(f"Sent {sent} digest{'s' if sent != 1 else ''}.")
