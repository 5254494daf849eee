"""``forum users create`` and ``forum users set-role``."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import RoleChange, User
from tests.accounts.helpers import get_user, signed_in_as, user_count
from tests.conftest import AuthActions

CLI_PASSWORD = "from-the-Command-line-42"


def role_changes(app) -> list[tuple[str, str | None, str, str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(RoleChange).order_by(RoleChange.id))
        return [(c.user.username, c.changed_by_id, c.old_role, c.new_role, c.reason) for c in rows]


def create(runner, *args: str, password: str = CLI_PASSWORD):
    return runner.invoke(args=["users", "create", *args, "--password-stdin"], input=password + "\n")


def test_create_admin_from_stdin(app, runner):
    result = create(runner, "--role", "admin", "--username", "Boss", "--email", "boss@example.com")
    assert result.exit_code == 0, result.output
    assert "Created admin Boss." in result.output
    user = get_user(app, "Boss")
    assert user.role == "admin"
    assert user.email == "boss@example.com"
    assert user.email_verified_at is not None
    assert user.password_hash.startswith("scrypt:")
    assert CLI_PASSWORD not in user.password_hash
    assert role_changes(app) == [("Boss", None, "member", "admin", "Created with this role from the command line")]
    client = app.test_client()
    assert AuthActions(client).login("boss@example.com", CLI_PASSWORD).status_code == 302
    assert signed_in_as(client) == "Boss"


def test_create_member_records_no_role_change(app, runner):
    result = create(runner, "--username", "jess", "--email", "jess@example.com")
    assert result.exit_code == 0, result.output
    assert get_user(app, "jess").role == "member"
    assert role_changes(app) == []


def test_create_with_prompted_password(app, runner):
    result = runner.invoke(
        args=["users", "create", "--username", "jess", "--email", "jess@example.com"],
        input=f"{CLI_PASSWORD}\n{CLI_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert CLI_PASSWORD not in result.output  # hidden input
    assert AuthActions(app.test_client()).login("jess", CLI_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (
            ["--username", "jess", "--email", "jess@example.com"],
            "short",
            "Passwords must be at least 10 characters long.",
        ),
        (["--username", "jess", "--email", "jess@example.com"], "password123", "commonly used passwords"),
        (["--username", "jess", "--email", "jess@example.com"], "", "Passwords must be at least 10 characters long."),
        (
            ["--username", "jessica-jones", "--email", "jj@example.com"],
            "jessica-jones",
            "Your password cannot be your username.",
        ),
        (["--username", "j", "--email", "jess@example.com"], CLI_PASSWORD, "Usernames are 3 to 30 characters long."),
        (["--username", "je\u200bss", "--email", "jess@example.com"], CLI_PASSWORD, "invisible or control characters"),
        (["--username", "jess", "--email", "not-an-email"], CLI_PASSWORD, "Not a valid email address"),
        (["--username", "jess", "--email", ""], CLI_PASSWORD, "Not a valid email address"),
        (
            ["--role", "superuser", "--username", "jess", "--email", "jess@example.com"],
            CLI_PASSWORD,
            "Invalid value for '--role'",
        ),
        (["--email", "jess@example.com"], CLI_PASSWORD, "Missing option '--username'"),
    ],
)
def test_create_refuses_bad_input(app, runner, args, password, message):
    result = create(runner, *args, password=password)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert user_count(app) == 0
    assert role_changes(app) == []


@pytest.mark.parametrize(
    ("username", "email", "message"),
    [
        ("JESS", "other@example.com", "That username is taken."),
        ("Ｊｅｓｓ", "other@example.com", "That username is taken."),
        ("other", "Jess@Example.com", "An account with that email address already exists."),
    ],
)
def test_create_refuses_duplicates(app, runner, make_user, username, email, message):
    make_user("jess", email="jess@example.com")
    result = create(runner, "--role", "admin", "--username", username, "--email", email)
    assert result.exit_code == 1
    assert message in result.output
    assert user_count(app) == 1
    assert role_changes(app) == []


def test_set_role_records_change_without_actor(app, runner, make_user):
    make_user("jess")
    result = runner.invoke(args=["users", "set-role", "JESS", "moderator", "--reason", "Helps in Billing every day"])
    assert result.exit_code == 0, result.output
    assert "jess: member -> moderator." in result.output
    assert get_user(app, "jess").role == "moderator"
    assert role_changes(app) == [("jess", None, "member", "moderator", "Helps in Billing every day")]


def test_set_role_to_the_same_role_changes_nothing(app, runner, make_user):
    make_user("jess", role="staff")
    result = runner.invoke(args=["users", "set-role", "jess", "staff", "--reason", "again"])
    assert result.exit_code == 0
    assert "jess is already staff; nothing changed." in result.output
    assert role_changes(app) == []


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (["jess", "moderator"], 2, "Missing option '--reason'"),
        (["jess", "moderator", "--reason", "   "], 1, "A reason is required for every role change."),
        (["jess", "moderator", "--reason", "bad\x00byte"], 1, "The reason cannot contain control characters."),
        (["jess", "overlord", "--reason", "why not"], 2, "'overlord' is not one of"),
        (["nobody", "moderator", "--reason", "why not"], 1, "No user named 'nobody'."),
    ],
)
def test_set_role_refuses_bad_input(app, runner, make_user, args, exit_code, message):
    make_user("jess")
    result = runner.invoke(args=["users", "set-role", *args])
    assert result.exit_code == exit_code
    assert message in result.output
    assert get_user(app, "jess").role == "member"
    assert role_changes(app) == []


def test_list_users(runner, make_user):
    make_user("jess")
    make_user("boss", role="admin", verified=False)
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    assert result.output.splitlines() == ["jess\tmember\tverified", "boss\tadmin\tunverified"]


def test_role_change_row_survives_in_database(app, runner, make_user):
    make_user("jess")
    runner.invoke(args=["users", "set-role", "jess", "admin", "--reason", "New site owner"])
    with app.app_context():
        change = db.session.scalar(select(RoleChange))
        assert change.changed_by is None
        assert change.user_id == db.session.scalar(select(User.id).where(User.username == "jess"))
        assert change.created_at is not None
