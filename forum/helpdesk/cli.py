"""``forum helpdesk set-title``."""

import click
from sqlalchemy import select

from forum.accounts.validation import username_key
from forum.actions import cli_action
from forum.extensions import db
from forum.helpdesk import helpdesk_cli, services
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
