"""``forum webhooks retry`` (the retry sweep, for cron) and ``forum webhooks list``."""

from __future__ import annotations

import click

from forum.actions import cli_action
from forum.webhooks import queries, services, webhooks_cli


@webhooks_cli.cli.command("retry")
def retry_command() -> None:
    """Queue the attempts that are due (beat runs this every 15 s)."""
    with cli_action():
        queued = services.retry_due()
    click.echo(f"Queued {queued} attempt(s).")


@webhooks_cli.cli.command("list")
def list_command() -> None:
    """The endpoints: id, state, consecutive failures, URL and events."""
    rows = queries.endpoints()
    for e in rows:
        state = "on" if e.is_active else ("switched off" if e.disabled_at else "off")
        click.echo(f"#{e.id}\t{state}\t{e.consecutive_failures} failures\t{e.url}\t{','.join(e.events or ())}")
    if not rows:
        click.echo("No webhook endpoints.")
