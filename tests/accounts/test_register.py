"""Registration: the rules for usernames, emails and passwords, and what is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import User
from tests.accounts.helpers import (
    STRONG,
    field_errors,
    flashes,
    get_user,
    mail_links,
    register,
    signed_in_as,
    text,
    user_count,
)
from tests.conftest import read_outbox


def assert_refused(app, resp, field: str, message: str, *, users_before: int = 0):
    """422, the message under the right field and in the summary, nothing stored or mailed."""
    assert resp.status_code == 422
    assert message in field_errors(resp).get(field, []), field_errors(resp)
    assert 'class="error-summary" role="alert"' in text(resp)
    assert user_count(app) == users_before
    assert read_outbox(app) == []


def test_register_page_shows_the_form(client):
    resp = client.get("/register")
    assert resp.status_code == 200
    html = text(resp)
    for name in ("username", "email", "password", "confirm", "csrf_token"):
        assert f'name="{name}"' in html


def test_register_stores_scrypt_hash_and_asks_to_confirm(app, client, real_hashing):
    resp = register(client, "Jess.Smith", "Jess.Smith@Example.com", password=STRONG)
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/login"
    with app.app_context():
        row = db.session.execute(select(User.__table__)).one()._asdict()
    assert row["username"] == "Jess.Smith"
    assert row["username_key"] == "jess.smith"
    assert row["email"] == "Jess.Smith@Example.com"
    assert row["email_key"] == "jess.smith@example.com"
    assert row["role"] == "member"
    assert row["email_verified_at"] is None
    # Werkzeug's scrypt with at least its default work factor, and the password
    # nowhere in the row.
    assert row["password_hash"].startswith("scrypt:")
    method, _, _ = row["password_hash"].partition("$")
    name, n, r, p = method.split(":")
    assert name == "scrypt"
    assert int(n) >= 2**17  # the OWASP minimum (finding 11)
    assert (int(r), int(p)) == (8, 1)
    assert all(STRONG not in str(value) for value in row.values())
    # Not signed in: a known address gets the same answer, and it cannot sign anyone in.
    assert signed_in_as(client) is None


def test_register_welcome_message_and_verification_mail(app, client):
    resp = register(client, "jess", "jess@example.com")
    page = client.get(resp.headers["Location"])
    assert any("We have sent you an email" in f for f in flashes(page))
    (msg,) = read_outbox(app)
    assert msg["To"] == "jess@example.com"
    assert "Confirm your email" in msg["Subject"]
    assert len(mail_links(app)) == 1
    assert mail_links(app)[0].startswith("/verify/")
    assert STRONG not in msg.as_string()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("jess", "JESS"),
        ("jess", "Ｊｅｓｓ"),  # fullwidth: NFKC folds it to "Jess"
        ("Ｊｅｓｓ", "jess"),
        ("straße", "STRASSE"),  # casefold: ß -> ss
        ("ﬁona", "fiona"),  # the "fi" ligature
    ],
)
def test_usernames_are_unique_after_nfkc_and_case_folding(app, client, make_user, first, second):
    make_user(first, email="first@example.com")
    resp = register(client, second, "second@example.com")
    assert_refused(app, resp, "username", "That username is taken.", users_before=1)


def test_username_is_stored_nfkc_normalised(app, client):
    assert register(client, "Ｊｅｓｓ", "jess@example.com").status_code == 302
    user = get_user(app, "Jess")
    assert user is not None
    assert user.username_key == "jess"


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("je\u200bss", "Usernames cannot contain invisible or control characters."),  # zero-width space
        ("je\u200dss", "Usernames cannot contain invisible or control characters."),  # zero-width joiner
        ("\ufeffjess", "Usernames cannot contain invisible or control characters."),  # BOM
        ("je\u2060ss", "Usernames cannot contain invisible or control characters."),  # word joiner
        ("je\u00adss", "Usernames cannot contain invisible or control characters."),  # soft hyphen
        ("jess\u202e", "Usernames cannot contain invisible or control characters."),  # right-to-left override
        ("jess\u3164", "Usernames cannot contain invisible or control characters."),  # Hangul filler (a "letter")
        ("je\x07ss", "Usernames cannot contain invisible or control characters."),
        ("je\x00ss", "Usernames cannot contain invisible or control characters."),
        ("je\nss", "Usernames cannot contain invisible or control characters."),
        ("ab", "Usernames are 3 to 30 characters long."),
        ("   ab   ", "Usernames are 3 to 30 characters long."),  # trimmed first
        ("a" * 31, "Usernames are 3 to 30 characters long."),
        ("jess smith", "Usernames may use letters, digits, '.', '-' and '_' only."),
        ("jess@home", "Usernames may use letters, digits, '.', '-' and '_' only."),
        ("<script>", "Usernames may use letters, digits, '.', '-' and '_' only."),
    ],
)
def test_bad_usernames_are_refused(app, client, username, message):
    resp = register(client, username, "jess@example.com")
    assert_refused(app, resp, "username", message)


@pytest.mark.parametrize("username", ["abc", "a" * 30, "jess_smith-2.0", "Zoë", "Łukasz", "山田太郎"])
def test_good_usernames_are_accepted(app, client, username):
    assert register(client, username, "x@example.com").status_code == 302
    assert get_user(app, username) is not None


def test_known_email_gets_the_same_answer_and_a_mail(app, client, make_user):
    """Finding 11: the form said when an email already had an account."""
    make_user("jess", email="jess@example.com")
    other = app.test_client()
    known = register(client, "someone", "JESS@Example.COM")
    fresh = register(other, "someone.else", "new@example.com")
    assert (known.status_code, known.headers["Location"]) == (302, "/login")
    assert (fresh.status_code, fresh.headers["Location"]) == (302, "/login")
    said = flashes(client.get("/login"))
    assert said
    assert said == flashes(other.get("/login"))
    assert user_count(app) == 2  # jess and someone.else; no second account for jess's address
    assert get_user(app, "someone") is None
    subjects = {m["To"]: m["Subject"] for m in read_outbox(app)}
    assert "You already have" in subjects["jess@example.com"]
    assert "Confirm your email" in subjects["new@example.com"]


@pytest.mark.parametrize("email", ["not-an-email", "jess@", "@example.com", "jess@exa mple.com", "jess@localhost"])
def test_invalid_emails_are_refused(app, client, email):
    resp = register(client, "jess", email)
    assert resp.status_code == 422
    assert field_errors(resp).get("email"), field_errors(resp)
    assert user_count(app) == 0


@pytest.mark.parametrize(
    ("username", "email", "password", "message"),
    [
        ("jess", "jess@example.com", "short-pw1", "Passwords must be at least 10 characters long."),
        ("jessica-jones", "jj@example.com", "jessica-jones", "Your password cannot be your username."),
        ("jessica-jones", "jj@example.com", "JESSICA-JONES", "Your password cannot be your username."),
        (
            "jess",
            "jessica.jones@example.com",
            "jessica.jones@example.com",
            "Your password cannot be your email address.",
        ),
        (
            "jess",
            "jessica.jones@example.com",
            "Jessica.Jones@Example.com",
            "Your password cannot be your email address.",
        ),
        (
            "jess",
            "jess@example.com",
            "password123",
            "That password is on a list of commonly used passwords. Please choose another.",
        ),
        (
            "jess",
            "jess@example.com",
            "PassWord123",
            "That password is on a list of commonly used passwords. Please choose another.",
        ),
        (
            "jess",
            "jess@example.com",
            "1q2w3e4r5t",
            "That password is on a list of commonly used passwords. Please choose another.",
        ),
    ],
)
def test_weak_passwords_are_refused(app, client, username, email, password, message):
    resp = register(client, username, email, password=password)
    assert_refused(app, resp, "password", message)


def test_shipped_common_password_list_is_used():
    from forum.accounts.validation import common_passwords

    listed = common_passwords()
    assert "password123" in listed
    assert len(listed) > 500
    assert all(not p.startswith("#") for p in listed)


def test_passwords_must_match(app, client):
    resp = register(client, "jess", "jess@example.com", password=STRONG, confirm=STRONG + "x")
    assert_refused(app, resp, "confirm", "The passwords do not match.")


def test_password_of_exactly_ten_characters_is_enough(app, client):
    assert register(client, "jess", "jess@example.com", password="qz8-Lm4!vK").status_code == 302


def test_refused_form_keeps_username_and_email_but_not_password(client):
    resp = register(client, "jess", "jess@example.com", password="short")
    html = text(resp)
    assert 'value="jess"' in html
    assert 'value="jess@example.com"' in html
    assert 'value="short"' not in html


def test_register_without_csrf_token_is_refused(app, client):
    resp = client.post(
        "/register", data={"username": "jess", "email": "jess@example.com", "password": STRONG, "confirm": STRONG}
    )
    assert resp.status_code == 400
    assert "security token" in text(resp)
    assert user_count(app) == 0


def test_signed_in_member_is_sent_home_from_register(client, member, auth):
    auth.login("jess")
    resp = client.get("/register")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"
