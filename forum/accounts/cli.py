"""``forum users ...`` commands."""

import sys

import click
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from forum.accounts import services, users_cli
from forum.actions import cli_action
from forum.extensions import db
from forum.models import ROLES, User


@users_cli.cli.command("create")
@click.option("--username", required=True)
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_command(username: str, email: str, role: str, password_stdin: bool) -> None:
    """Create a verified account. The password is prompted, or read from stdin."""
    try:  # the same check as the registration form's
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise click.ClickException(f"Not a valid email address: {exc}") from exc
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with cli_action():
        user = services.create_user(username=username, email=email, password=password, role=role, verified=True)
        if role != "member":
            db.session.add(
                services.RoleChange(user=user, changed_by=None, old_role="member", new_role=role, reason="Created with this role from the command line")
            )
    click.echo(f"Created {user.role} {user.username}.")


@users_cli.cli.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--reason", required=True, help="Why; recorded with the change.")
def set_role_command(username: str, role: str, reason: str) -> None:
    """Change a user's role, recording the reason."""
    user = services.get_user_by_username(username)
    if user is None:
        raise click.ClickException(f"No user named {username!r}.")
    with cli_action():
        change = services.set_role(user, role, changed_by=None, reason=reason)
    if change is None:
        click.echo(f"{user.username} is already {role}; nothing changed.")
    else:
        click.echo(f"{user.username}: {change.old_role} -> {change.new_role}.")


@users_cli.cli.command("list")
def list_command() -> None:
    """List accounts with their roles."""
    for user in db.session.scalars(select(User).order_by(User.id)):
        click.echo(f"{user.username}\t{user.role}\t{'verified' if user.is_verified else 'unverified'}")


@users_cli.cli.command("reset-2fa")
@click.argument("username")
@click.option("--reason", required=True, help="Why; recorded in the moderation log.")
def reset_two_factor_command(username: str, reason: str) -> None:
    """Remove a user's authenticator app (a lost phone); they enrol again at sign-in."""
    from forum.accounts import two_factor

    user = services.get_user_by_username(username)
    if user is None:
        raise click.ClickException(f"No user named {username!r}.")
    with cli_action():
        was_on = two_factor.reset_by_admin(user, actor=None, reason=reason)
    click.echo(f"{user.username}: two-factor sign-in {'reset' if was_on else 'was not on; sessions ended'}.")
