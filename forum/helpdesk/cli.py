"""``forum notifications send-digests`` and ``forum helpdesk set-title``."""

import click
from sqlalchemy import select

from forum.accounts.validation import username_key
from forum.extensions import db
from forum.helpdesk import emails, helpdesk_cli, notifications_cli, services
from forum.models import User


@notifications_cli.cli.command("send-digests")
def send_digests() -> None:
    """Email the daily digest to members who chose it. Safe to run twice."""
    sent = emails.send_digests()
    db.session.commit()
    click.echo(f"Sent {sent} digest{'s' if sent != 1 else ''}.")


@helpdesk_cli.cli.command("set-title")
@click.argument("username")
@click.argument("title", required=False, default="")
def set_title(username: str, title: str) -> None:
    """Set the public title on a staff member's badge (empty clears it)."""
    user = db.session.scalar(select(User).where(User.username_key == username_key(username)))
    if user is None:
        raise click.ClickException(f"No user called {username!r}.")
    try:
        services.set_title(user, title)
    except services.HelpdeskError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"{user.username}'s badge now reads “{user.badge_label}”.")
