"""``forum qa-events ...`` commands."""

import click

from forum.actions import cli_action
from forum.jobqueue import periodic
from forum.models.qa_events import QA_STATE_LABELS
from forum.qa_events import qa_events_cli, services


def _tick() -> None:
    with cli_action():
        moved = services.tick()
    if not moved:
        click.echo("No session changed state.")
    for event, state in moved:
        click.echo(f"{event.slug}: now {QA_STATE_LABELS[state].lower()}.")


@qa_events_cli.cli.command("tick")
def tick_command() -> None:
    """Apply the clock: open, start, end and archive sessions whose time has come."""
    _tick()


@qa_events_cli.cli.command("close-expired")
def close_expired_command() -> None:
    """The same as ``tick`` (run it from cron every minute or so)."""
    _tick()


@periodic("qa_events.tick")
def tick_periodic() -> int:
    """Celery beat's run of the clock (every minute; ``forum qa-events tick`` for cron)."""
    return len(services.tick())
