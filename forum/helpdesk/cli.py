"""``forum helpdesk set-title`` and ``forum helpdesk auto-resolve``."""

from datetime import UTC, datetime

import click
from sqlalchemy import select

from forum.accounts.validation import username_key
from forum.actions import cli_action
from forum.extensions import db
from forum.helpdesk import cases, helpdesk_cli, services
from forum.jobqueue import periodic
from forum.models import User


@helpdesk_cli.cli.command("set-title")
@click.argument("username")
@click.argument("title", required=False, default="")
def set_title(username: str, title: str) -> None:
    """Set the public title on a staff member's badge (empty clears it)."""
    user = db.session.scalar(select(User).where(User.username_key == username_key(username)))
    if user is None:
        raise click.ClickException(f"No user called {username!r}.")
    with cli_action():
        services.set_title(user, title)
    click.echo(f"{user.username}'s badge now reads “{user.badge_label}”.")


@helpdesk_cli.cli.command("auto-resolve")
@click.option("--now", "now_text", default=None, metavar="ISO-TIME",
              help="Act as if it were this UTC time (tests, catching up); default: now.")
def auto_resolve(now_text: str | None) -> None:
    """Remind askers of answered topics they left silent, and resolve those still silent
    FORUM_AUTO_RESOLVE_DAYS after the reminder. Run it daily (cron)."""
    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            raise click.BadParameter("Give a time like 2026-12-01T09:00:00.", param_hint="--now") from None
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    with cli_action():
        reminded, resolved = cases.auto_resolve(now)
    click.echo(f"Reminded {reminded} asker{'s' if reminded != 1 else ''}; resolved {resolved} topic{'s' if resolved != 1 else ''}.")


@periodic("helpdesk.auto_resolve")
def auto_resolve_periodic() -> str:
    """Celery beat's run of the case lifecycle (hourly; it only acts on what is due)."""
    reminded, resolved = cases.auto_resolve(None)
    return f"reminded {reminded}, resolved {resolved}"
