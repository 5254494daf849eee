"""Look-alike letters (issue 18, finding 10): names are compared by their confusable
skeleton, so Cyrillic or Greek letters that look Latin do not slip past the staff-name
guard, and a member cannot take a staff member's name."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.accounts.names import check_not_imitating_staff, skeleton
from forum.extensions import db
from forum.models import User
from tests.accounts.helpers import STRONG, field_errors, register
from tests.accounts.test_sessions import signed_in_client
from tests.conftest import csrf_token


def set_display_name(client, name):
    return client.post("/settings", data={"display_name": name,
                                          "csrf_token": csrf_token(client, "/settings")})


@pytest.mark.parametrize("name", [
    "Cust\u043emer Care",      # Cyrillic о
    "\u0410dmin",              # Cyrillic А
    "Customer C\u0430re team",  # Cyrillic а
    "\u039c\u03bfderator",     # Greek Μ, ο
    "St\u0430ff",
    "\u0421onnect Community",  # Cyrillic С
])
def test_display_names_with_lookalike_letters_are_refused(app, member, name):
    client = signed_in_client(app)
    resp = set_display_name(client, name)
    assert resp.status_code == 422
    assert field_errors(resp)["display_name"]
    with app.app_context():
        assert db.session.get(User, member["id"]).display_name is None


@pytest.mark.parametrize("username", ["\u0430dmin", "m\u043ederator", "\u0455taff", "supp\u043ert"])
def test_usernames_with_lookalike_letters_are_refused(app, client, username):
    resp = register(client, username, "new@example.com", password=STRONG)
    assert resp.status_code == 422
    assert "mistaken for our staff" in " ".join(field_errors(resp)["username"])
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_a_member_cannot_take_a_staff_members_name(app, member, make_user):
    make_user("sarah.cc", role="staff")
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.username == "sarah.cc"))
        staff.display_name = "Sarah from Care"
        db.session.commit()
    client = signed_in_client(app)
    for name in ("sarah.cc", "SARAH.CC", "s\u0430rah.cc", "Sarah from Care", "Sar\u0430h fr\u043em Care"):
        resp = set_display_name(client, name)
        assert resp.status_code == 422, name
        message = " ".join(field_errors(resp)["display_name"])
        assert "mistaken for a member of our staff" in message or "different alphabets" in message
    resp = register(app.test_client(), "s\u0430rah.cc", "other@example.com", password=STRONG)
    assert resp.status_code == 422


@pytest.mark.parametrize("name", ["Иван Петров", "Ivan Petrov", "José García", "Zoë", "Müller", "Ελένη", "李小龍", "Fern"])
def test_ordinary_names_in_any_one_alphabet_pass(app, member, name):
    client = signed_in_client(app)
    assert set_display_name(client, name).status_code == 302
    with app.app_context():
        assert db.session.get(User, member["id"]).display_name == name


def test_skeleton_follows_uts39():
    assert skeleton("Cust\u043emer Care") == skeleton("Customer Care") == "customercare"
    assert skeleton("\u0410dmin") == "admin"
    assert skeleton("Ａｄｍｉｎ") == "admin"
    assert skeleton("Zoë") == "zoe"


def test_guard_works_without_an_app(app):
    with pytest.raises(ValueError, match="alphabets"):
        check_not_imitating_staff("Jo\u0455h")  # Cyrillic ѕ inside a Latin word
    check_not_imitating_staff("Josh")
