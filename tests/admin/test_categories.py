"""Admin: create, rename and reorder boards."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Category
from tests.accounts.helpers import any_csrf_token, field_errors, flashes, text


def boards(app) -> list[tuple[str, str, str]]:
    """(name, slug, description) in display order."""
    with app.app_context():
        return [
            (c.name, c.slug, c.description)
            for c in db.session.scalars(select(Category).order_by(Category.position, Category.id))
        ]


def names_on_admin_page(client) -> list[str]:
    html = text(client.get("/admin/categories"))
    return [unescape(n) for n in re.findall(r'<td[^>]*><a href="/admin/categories/\d+">([^<]+)</a></td>', html)]


def names_on_home_page(client) -> list[str]:
    html = text(client.get("/"))
    return [unescape(n) for n in re.findall(r'href="/c/[a-z0-9-]+"[^>]*>([^<]+)</a>', html)]


def create(client, name, slug="", description=""):
    return client.post(
        "/admin/categories",
        data={"name": name, "slug": slug, "description": description, "csrf_token": any_csrf_token(client)},
    )


def category_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Category.id).where(Category.slug == slug))


def move(client, cat_id: int, direction: str):
    return client.post(
        f"/admin/categories/{cat_id}/move", data={"direction": direction, "csrf_token": any_csrf_token(client)}
    )


def test_create_board(app, admin_client):
    resp = create(admin_client, "  Billing   &  payments ", description="  Bills, refunds <b>and</b> top-ups  ")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/admin/categories"
    page = admin_client.get("/admin/categories")
    assert "Board “Billing & payments” created." in flashes(page)
    assert "Billing &amp; payments" in text(page)
    assert boards(app) == [("Billing & payments", "billing-payments", "Bills, refunds <b>and</b> top-ups")]
    assert "Billing &amp; payments" in text(admin_client.get("/c/billing-payments"))


def test_create_board_with_own_slug_goes_last(app, admin_client):
    create(admin_client, "Network")
    create(admin_client, "Billing", slug="bills")
    assert [slug for _, slug, _ in boards(app)] == ["network", "bills"]
    assert names_on_admin_page(admin_client) == ["Network", "Billing"]


@pytest.mark.parametrize(
    ("name", "slug", "field", "message"),
    [
        ("", "", "name", "This field is required."),
        ("B", "", "name", "Field must be between 2 and 80 characters long."),
        ("B" * 81, "", "name", "Field must be between 2 and 80 characters long."),
        ("B          x", "", None, None),  # fine: whitespace collapses to "B x"
        ("   B   ", "", "name", "Board names are 2 to 80 characters long."),  # one letter once trimmed
        ("Billing", "Bills Slug", "slug", "Use lower-case letters, digits and dashes."),
        ("Billing", "b" * 81, "slug", "Field cannot be longer than 80 characters."),
        ("Billing", "bills\n", "slug", "Use lower-case letters, digits and dashes."),
        ("Bill\x00ing", "", "name", "Board names and descriptions cannot contain control characters."),
    ],
)
def test_create_board_refuses_bad_input(app, admin_client, name, slug, field, message):
    resp = create(admin_client, name, slug=slug)
    if field is None:
        assert resp.status_code == 302
        return
    assert resp.status_code == 422
    assert message in field_errors(resp)[field]
    assert boards(app) == []


def test_create_board_refuses_control_characters_in_description(app, admin_client):
    resp = create(admin_client, "Billing", description="line one\nline two\x00")
    assert resp.status_code == 422
    assert boards(app) == []
    assert create(admin_client, "Billing", description="line one\r\nline two\ttab").status_code == 302


def test_create_board_refuses_taken_address(app, admin_client, make_category):
    make_category(name="Billing", slug="billing")
    resp = create(admin_client, "BILLING!")
    assert resp.status_code == 422
    assert "A board with the address /c/billing already exists." in field_errors(resp)["name"]
    assert len(boards(app)) == 1


def test_rename_board_keeps_its_address(app, admin_client, make_category):
    cat = make_category(name="Billing", slug="billing", description="Old")
    page = admin_client.get(f"/admin/categories/{cat['id']}")
    assert 'value="Billing"' in text(page)
    resp = admin_client.post(
        f"/admin/categories/{cat['id']}",
        data={"name": "Bills & <payments>", "description": "New words", "csrf_token": any_csrf_token(admin_client)},
    )
    assert resp.status_code == 302
    assert "Board saved." in flashes(admin_client.get("/admin/categories"))
    assert boards(app) == [("Bills & <payments>", "billing", "New words")]
    html = text(admin_client.get("/admin/categories"))
    assert "Bills &amp; &lt;payments&gt;" in html
    assert "<payments>" not in html


@pytest.mark.parametrize("name", ["", "x", "y" * 81, "ok\x00name"])
def test_rename_board_refuses_bad_names(app, admin_client, make_category, name):
    cat = make_category(name="Billing", slug="billing", description="Old")
    resp = admin_client.post(
        f"/admin/categories/{cat['id']}",
        data={"name": name, "description": "New", "csrf_token": any_csrf_token(admin_client)},
    )
    assert resp.status_code == 422
    assert field_errors(resp)["name"]
    assert boards(app) == [("Billing", "billing", "Old")]


@pytest.fixture
def three_boards(app, admin_client):
    for name in ("Alpha", "Bravo", "Charlie"):
        assert create(admin_client, name).status_code == 302
    return {slug: category_id(app, slug) for slug in ("alpha", "bravo", "charlie")}


def test_reorder_boards_up_and_down(app, admin_client, three_boards):
    assert names_on_admin_page(admin_client) == ["Alpha", "Bravo", "Charlie"]
    assert move(admin_client, three_boards["charlie"], "up").status_code == 302
    assert names_on_admin_page(admin_client) == ["Alpha", "Charlie", "Bravo"]
    assert move(admin_client, three_boards["alpha"], "down").status_code == 302
    assert names_on_admin_page(admin_client) == ["Charlie", "Alpha", "Bravo"]
    assert [n for n, _, _ in boards(app)] == ["Charlie", "Alpha", "Bravo"]
    with app.app_context():
        positions = sorted(db.session.scalars(select(Category.position)))
    assert positions == [1, 2, 3]


def test_reorder_shows_on_home_page(admin_client, three_boards):
    move(admin_client, three_boards["bravo"], "up")
    home = names_on_home_page(admin_client)
    assert [n for n in home if n in ("Alpha", "Bravo", "Charlie")] == ["Bravo", "Alpha", "Charlie"]


def test_moving_past_the_ends_changes_nothing(app, admin_client, three_boards):
    assert move(admin_client, three_boards["alpha"], "up").status_code == 302
    assert move(admin_client, three_boards["charlie"], "down").status_code == 302
    assert [n for n, _, _ in boards(app)] == ["Alpha", "Bravo", "Charlie"]


@pytest.mark.parametrize("direction", ["sideways", "", "UP", "up\n"])
def test_bad_move_request_is_400(app, admin_client, three_boards, direction):
    resp = move(admin_client, three_boards["bravo"], direction)
    assert resp.status_code == 400
    assert [n for n, _, _ in boards(app)] == ["Alpha", "Bravo", "Charlie"]


def test_move_is_post_only(admin_client, three_boards):
    assert admin_client.get(f"/admin/categories/{three_boards['alpha']}/move").status_code == 405


def test_admin_page_has_move_buttons_with_labels(admin_client, three_boards):
    html = text(admin_client.get("/admin/categories"))
    assert 'aria-label="Move up: Alpha"' in html
    assert 'aria-label="Move down: Charlie"' in html


def test_boards_named_without_ascii_letters_get_distinct_addresses(app, admin_client):
    assert create(admin_client, "Роуминг").status_code == 302
    assert create(admin_client, "Биллинг").status_code == 302
    slugs = [slug for _, slug, _ in boards(app)]
    assert len(set(slugs)) == 2
    assert all(re.fullmatch(r"board-\d+", s) for s in slugs), slugs
    for name, slug, _ in boards(app):
        assert name in text(admin_client.get(f"/c/{slug}"))
