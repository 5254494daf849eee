"""Who may open the admin pages: only admins. Anonymous visitors are sent to sign in,
every other role gets 403, and POSTs from them change nothing."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Category, RoleChange, User
from tests.accounts.helpers import any_csrf_token, text
from tests.conftest import PASSWORD

NON_ADMIN_ROLES = ["member", "moderator", "staff", "executive"]
ACTORS = [pytest.param(None, id="anonymous"), *NON_ADMIN_ROLES, "admin"]

GET_ROUTES = [
    "/admin/",
    "/admin/categories",
    "/admin/categories/{cat}",
    "/admin/users",
    "/admin/users?q=tar",
    "/admin/users/{target}/role",
]


@pytest.fixture
def targets(make_user, make_category):
    cat = make_category(name="Billing", slug="billing")
    target = make_user("target")
    return {"cat": cat["id"], "target": target["id"]}


def state(app):
    """Everything an admin POST could change."""
    with app.app_context():
        return (
            [(c.name, c.description, c.position) for c in db.session.scalars(select(Category).order_by(Category.id))],
            [(u.username, u.role) for u in db.session.scalars(select(User).order_by(User.id))],
            db.session.scalar(select(func.count(RoleChange.id))),
        )


def assert_sent_to_login(resp, path):
    assert resp.status_code == 302
    location = urlsplit(resp.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [path]


@pytest.mark.parametrize("route", GET_ROUTES)
@pytest.mark.parametrize("role", ACTORS)
def test_get_access_matrix(client_as, targets, role, route):
    path = route.format(**targets)
    client, _ = client_as(role)
    resp = client.get(path)
    if role is None:
        assert_sent_to_login(resp, path)
    elif role != "admin":
        assert resp.status_code == 403
        assert "You do not have permission to do that." in text(resp)
    elif route == "/admin/":
        assert resp.status_code == 302
        assert resp.headers["Location"] == "/admin/categories"
    else:
        assert resp.status_code == 200
        assert 'aria-label="Admin"' in text(resp)


def post_routes(targets):
    """(path, form data) of one valid POST per admin action."""
    return {
        "create": ("/admin/categories", {"name": "New board", "slug": "", "description": "d"}),
        "rename": (f"/admin/categories/{targets['cat']}", {"name": "Renamed", "description": "x"}),
        "move": (f"/admin/categories/{targets['cat']}/move", {"direction": "down"}),
        "role": (f"/admin/users/{targets['target']}/role", {"role": "moderator", "reason": "Helps a lot"}),
    }


@pytest.mark.parametrize("action", ["create", "rename", "move", "role"])
@pytest.mark.parametrize("role", ACTORS)
def test_post_access_matrix(app, client_as, make_category, targets, role, action):
    make_category(name="Second", slug="second")  # so that "move down" has somewhere to go
    path, data = post_routes(targets)[action]
    client, _ = client_as(role)
    before = state(app)
    resp = client.post(path, data={**data, "csrf_token": any_csrf_token(client)})
    if role == "admin":
        assert resp.status_code == 302
        assert state(app) != before
        return
    if role is None:
        assert_sent_to_login(resp, path)
    else:
        assert resp.status_code == 403
    assert state(app) == before


@pytest.mark.parametrize("action", ["create", "rename", "move", "role"])
def test_admin_post_without_csrf_is_refused(app, admin_client, targets, action):
    path, data = post_routes(targets)[action]
    before = state(app)
    resp = admin_client.post(path, data=data)
    assert resp.status_code == 400
    assert "security token" in text(resp)
    assert state(app) == before


def test_admin_link_only_in_admin_header(client_as):
    member, _ = client_as("member")
    admin, _ = client_as("admin")
    assert 'href="/admin/categories">Admin</a>' not in text(member.get("/"))
    assert 'href="/admin/categories">Admin</a>' in text(admin.get("/"))


def test_sign_in_returns_admin_to_the_page_asked_for(app, make_user):
    make_user("boss", role="admin")
    client = app.test_client()
    login_url = client.get("/admin/users").headers["Location"]
    resp = client.post(login_url, data={"login": "boss", "password": PASSWORD, "csrf_token": any_csrf_token(client)})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/admin/users"


@pytest.mark.parametrize("path", ["/admin/categories/999999", "/admin/users/999999/role"])
def test_admin_missing_objects_are_404(admin_client, path):
    assert admin_client.get(path).status_code == 404
    assert admin_client.post(path, data={"csrf_token": any_csrf_token(admin_client)}).status_code == 404


def test_move_missing_category_is_404(admin_client):
    resp = admin_client.post(
        "/admin/categories/999999/move", data={"direction": "up", "csrf_token": any_csrf_token(admin_client)}
    )
    assert resp.status_code == 404


HUGE_ID = "9" * 20  # past SQLite's 64-bit integers: an OverflowError (a 500) if it reached the database


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", f"/admin/categories/{HUGE_ID}", {}),
        ("post", f"/admin/categories/{HUGE_ID}", {"name": "Renamed", "description": "x"}),
        ("post", f"/admin/categories/{HUGE_ID}/move", {"direction": "up"}),
        ("get", f"/admin/users/{HUGE_ID}/role", {}),
        ("post", f"/admin/users/{HUGE_ID}/role", {"role": "moderator", "reason": "Helps a lot"}),
    ],
)
def test_admin_ids_too_large_for_the_database_are_404(app, admin_client, method, path, data):
    before = state(app)
    if method == "get":
        resp = admin_client.get(path)
    else:
        resp = admin_client.post(path, data={**data, "csrf_token": any_csrf_token(admin_client)})
    assert resp.status_code == 404
    assert state(app) == before
