"""``forum jobs worker | beat | relay | dead | run``: thin wrappers over Celery's own
commands, bound to this app's settings."""

from __future__ import annotations

import click
from flask import current_app

from forum import jobqueue
from forum.jobs import jobs_cli, relay


def _celery():
    if not current_app.config.get("BROKER_URL"):
        raise click.ClickException("Set FORUM_BROKER_URL (redis://... or amqp://...) to run a worker or beat.")
    from forum.jobs.celery_app import celery_for

    return celery_for(current_app._get_current_object())


@jobs_cli.cli.command("worker", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def worker_command(ctx: click.Context) -> None:
    """Start a Celery worker for the jobs (extra options go to `celery worker`)."""
    celery = _celery()
    celery.worker_main(["worker", "--loglevel=INFO", "-Q", current_app.config["JOBS_QUEUE"], *ctx.args])


@jobs_cli.cli.command("beat", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def beat_command(ctx: click.Context) -> None:
    """Start Celery beat: the periodic work of forum/jobs/schedule.py (run exactly one)."""
    celery = _celery()
    celery.start(["beat", "--loglevel=INFO", *ctx.args])


@jobs_cli.cli.command("relay")
def relay_command() -> None:
    """Relay the jobs a crash left behind and retry stuck ones (beat runs this every minute)."""
    summary = relay.sweep()
    click.echo(f"Relayed {summary['relayed']} job(s); deleted {summary['deleted']} finished row(s).")


@jobs_cli.cli.command("dead")
def dead_command() -> None:
    """List the dead letters (also on /admin/jobs)."""
    rows = relay.dead_letters()
    for row in rows:
        first_line = (row.last_error or "").splitlines()[0] if row.last_error else ""
        click.echo(f"#{row.id}\t{row.task}\t{row.attempts} attempts\t{first_line}")
    if not rows:
        click.echo("No dead letters.")


@jobs_cli.cli.command("run")
@click.argument("name")
def run_command(name: str) -> None:
    """Run one periodic job now (a name from forum/jobs/schedule.py), e.g. for cron."""
    if name not in jobqueue.PERIODIC:
        raise click.ClickException(f"No periodic job {name!r}; known: {', '.join(sorted(jobqueue.PERIODIC))}.")
    result = jobqueue.run_periodic(name)
    click.echo(f"{name}: {result}")
