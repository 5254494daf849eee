"""Admin: find users and change their role, with who and why recorded."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import RoleChange, User
from tests.accounts.helpers import any_csrf_token, field_errors, flashes, text


def role_of(app, username: str) -> str:
    with app.app_context():
        return db.session.scalar(select(User.role).where(User.username == username))


def changes(app) -> list[tuple[str, str | None, str, str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(RoleChange).order_by(RoleChange.id))
        return [
            (c.user.username, c.changed_by.username if c.changed_by else None, c.old_role, c.new_role, c.reason)
            for c in rows
        ]


def change_role(client, user_id: int, role: str | None, reason: str | None):
    data = {"csrf_token": any_csrf_token(client)}
    if role is not None:
        data["role"] = role
    if reason is not None:
        data["reason"] = reason
    return client.post(f"/admin/users/{user_id}/role", data=data)


def listed_users(html: str) -> list[str]:
    return [unescape(n) for n in re.findall(r'<tr><td[^>]*><a href="/u/[^"]+">([^<]+)</a></td>', html)]


@pytest.fixture
def jess(make_user):
    return make_user("jess")


def test_change_role_records_who_and_why(app, admin_client, jess):
    page = admin_client.get(f"/admin/users/{jess['id']}/role")
    assert "Change the role of jess" in text(page)
    assert '<option selected value="member">' in text(page) or '<option value="member" selected>' in text(page)

    resp = change_role(admin_client, jess["id"], "moderator", "  Answers billing questions every day  ")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/admin/users"
    assert role_of(app, "jess") == "moderator"
    assert changes(app) == [("jess", "boss", "member", "moderator", "Answers billing questions every day")]

    users_page = admin_client.get("/admin/users")
    assert "jess is now moderator." in flashes(users_page)
    assert "jess member → moderator by boss: “Answers billing questions every day”" in text(users_page)
    # And the member's profile now carries the badge.
    assert '<span class="badge badge-moderator">Moderator</span>' in text(admin_client.get("/u/jess"))


def test_change_role_twice_keeps_history(app, admin_client, jess):
    change_role(admin_client, jess["id"], "staff", "Joined Customer Care")
    change_role(admin_client, jess["id"], "member", "Left the company")
    assert changes(app) == [
        ("jess", "boss", "member", "staff", "Joined Customer Care"),
        ("jess", "boss", "staff", "member", "Left the company"),
    ]


def test_same_role_changes_nothing(app, admin_client, jess):
    resp = change_role(admin_client, jess["id"], "member", "no-op")
    assert resp.status_code == 302
    assert "Nothing changed." in flashes(admin_client.get("/admin/users"))
    assert changes(app) == []


@pytest.mark.parametrize(
    ("role", "reason", "field", "message"),
    [
        ("moderator", None, "reason", "This field is required."),
        ("moderator", "", "reason", "This field is required."),
        ("moderator", "    ", "reason", "This field is required."),
        ("moderator", "ok", "reason", "Field must be between 3 and 500 characters long."),
        ("moderator", "x" * 501, "reason", "Field must be between 3 and 500 characters long."),
        ("moderator", "bad\x00reason", "reason", "The reason cannot contain control characters."),
        ("overlord", "Promote", "role", "Not a valid choice."),
    ],
)
def test_bad_role_change_is_422_and_changes_nothing(app, admin_client, jess, role, reason, field, message):
    resp = change_role(admin_client, jess["id"], role, reason)
    assert resp.status_code == 422
    assert any(message in e for e in field_errors(resp)[field]), field_errors(resp)
    assert role_of(app, "jess") == "member"
    assert changes(app) == []


def test_missing_role_keeps_the_current_one(app, admin_client, jess):
    resp = change_role(admin_client, jess["id"], None, "Promote")
    assert resp.status_code == 302
    assert "Nothing changed." in flashes(admin_client.get("/admin/users"))
    assert role_of(app, "jess") == "member"
    assert changes(app) == []


def test_admin_cannot_change_own_role(app, client_as):
    client, me = client_as("admin", "boss")
    assert client.get(f"/admin/users/{me['id']}/role").status_code == 403
    resp = change_role(client, me["id"], "member", "Stepping down")
    assert resp.status_code == 403
    assert role_of(app, "boss") == "admin"
    assert changes(app) == []


def test_admin_can_demote_another_admin_who_then_loses_access(app, admin_client, client_as):
    other_client, other = client_as("admin", "other-admin")
    assert other_client.get("/admin/users").status_code == 200
    assert change_role(admin_client, other["id"], "staff", "Moved to Customer Care").status_code == 302
    assert role_of(app, "other-admin") == "staff"
    # The role change ended the demoted admin's sessions: the next request is anonymous.
    response = other_client.get("/admin/users")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_reason_is_shown_escaped(app, admin_client, jess):
    change_role(admin_client, jess["id"], "staff", "<script>alert(1)</script> & more")
    html = text(admin_client.get("/admin/users"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "<script>" not in html


def test_cli_changes_are_listed_as_command_line(app, admin_client, jess, runner):
    runner.invoke(args=["users", "set-role", "jess", "executive", "--reason", "Board decision"])
    assert "jess member → executive by the command line: “Board decision”" in text(admin_client.get("/admin/users"))


def test_users_page_lists_and_finds_users(admin_client, make_user):
    for name in ("jess", "jessica", "a_b", "axb", "Zoë"):
        make_user(name)
    html = text(admin_client.get("/admin/users"))
    assert set(listed_users(html)) == {"boss", "jess", "jessica", "a_b", "axb", "Zoë"}
    # Newest first; a "Change role" link for everyone but the admin.
    assert listed_users(html)[0] == "Zoë"
    assert html.count(">Change role</a>") == 5

    assert listed_users(text(admin_client.get("/admin/users?q=JES"))) == ["jess", "jessica"]
    assert listed_users(text(admin_client.get("/admin/users?q=a_"))) == ["a_b"]  # "_" is not a wildcard
    assert listed_users(text(admin_client.get("/admin/users?q=%25"))) == []  # nor is "%"
    assert listed_users(text(admin_client.get("/admin/users?q=ZO%C3%8B"))) == ["Zoë"]
    assert "No users found." in text(admin_client.get("/admin/users?q=nobody"))


@pytest.mark.parametrize("q", ["je%00ss", "%00", "x" * 500, "<script>", "%E2%80%8B"])
def test_users_search_survives_odd_queries(admin_client, make_user, q):
    make_user("jess")
    resp = admin_client.get(f"/admin/users?q={q}")
    assert resp.status_code == 200
    assert "<script>" not in text(resp)
