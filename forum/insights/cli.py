"""``forum insights rollup``: bring the insights rollup tables up to date."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from forum.actions import cli_action
from forum.insights import insights_cli, rollups
from forum.jobqueue import periodic


@insights_cli.cli.command("rollup")
@click.option("--rebuild", is_flag=True, help="Empty the rollups and count everything again.")
@click.option("--now", "now_text", default=None, metavar="ISO-TIME", help="Act as if it were this UTC time.")
def rollup(rebuild: bool, now_text: str | None) -> None:
    """Add new posts, case changes and answers to the insights rollups. Safe to run
    twice (nothing is counted twice); run it every few minutes (cron or the job queue)."""
    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            raise click.BadParameter("Give a time like 2026-12-01T09:00:00.", param_hint="--now") from None
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    with cli_action():
        result = (rollups.rebuild if rebuild else rollups.rollup)(now)
    click.echo(f"Counted {result['posts']} new posts; refreshed {result['topics']} topics.")


@periodic("insights.rollup")
def rollup_periodic() -> str:
    """Celery beat's run of the rollups (every five minutes; the job commits)."""
    result = rollups.rollup(None)
    return f"counted {result['posts']} posts, refreshed {result['topics']} topics"
