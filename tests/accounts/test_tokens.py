"""Signed, expiring links: email verification (/verify/<token>) and password reset
(/reset/<token>)."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeTimedSerializer

from tests.accounts.helpers import (
    any_csrf_token,
    field_errors,
    flashes,
    get_user,
    logout,
    mail_links,
    make_token,
    signed_in_as,
    text,
)
from tests.conftest import PASSWORD, csrf_token, read_outbox

NEW_PASSWORD = "a-brand-new-Passphrase-9"


def tamper(token: str) -> str:
    """Change the first character of the signature (the last dot-separated part).
    Not the last one: its low bits are base64 padding, so some changes there decode
    to the same signature."""
    head, _, sig = token.rpartition(".")
    return f"{head}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"


def is_verified(app, username: str) -> bool:
    return get_user(app, username).email_verified_at is not None


def reset_form(client, path: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return client.post(
        path,
        data={
            "password": password,
            "confirm": password if confirm is None else confirm,
            "csrf_token": any_csrf_token(client),
        },
    )


# --- verification ---------------------------------------------------------------


def test_verify_link_confirms_the_address(app, client, unverified):
    resp = client.get(f"/verify/{make_token(app, 'verify', 'newbie')}")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/login"
    assert "your email address is confirmed" in " ".join(flashes(client.get("/login")))
    assert is_verified(app, "newbie")


def test_verify_link_twice_is_harmless(app, client, unverified):
    token = make_token(app, "verify", "newbie")
    assert client.get(f"/verify/{token}").status_code == 302
    first = get_user(app, "newbie").email_verified_at
    assert client.get(f"/verify/{token}").status_code == 302
    assert get_user(app, "newbie").email_verified_at == first


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(tamper, id="flipped-signature"),
        pytest.param(lambda t: t.split(".")[0] + ".x." + t.split(".")[2], id="bad-timestamp"),
        pytest.param(lambda t: "not-a-token", id="garbage"),
        pytest.param(lambda t: t + "x" * 600, id="very-long"),
        pytest.param(
            lambda t: URLSafeTimedSerializer("another-key", salt="forum.verify-email").dumps(
                {"uid": 1, "email": "newbie@example.com"}
            ),
            id="other-secret",
        ),
    ],
)
def test_tampered_verify_link_is_refused(app, client, unverified, mangle):
    resp = client.get(f"/verify/{mangle(make_token(app, 'verify', 'newbie'))}")
    assert resp.status_code == 400
    assert "This link is not valid." in text(resp)
    assert not is_verified(app, "newbie")


def test_reset_token_does_not_work_as_verify_link(app, client, unverified):
    resp = client.get(f"/verify/{make_token(app, 'reset', 'newbie')}")
    assert resp.status_code == 400
    assert not is_verified(app, "newbie")


def test_expired_verify_link_is_refused(app, client, unverified):
    max_age = app.config["VERIFY_TOKEN_MAX_AGE"]
    resp = client.get(f"/verify/{make_token(app, 'verify', 'newbie', age=max_age + 60)}")
    assert resp.status_code == 400
    assert "This link has expired. Ask for a new one." in text(resp)
    assert not is_verified(app, "newbie")


def test_verify_link_expiry_follows_config(app, client, unverified, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_TOKEN_MAX_AGE", 5)
    assert client.get(f"/verify/{make_token(app, 'verify', 'newbie', age=10)}").status_code == 400
    assert client.get(f"/verify/{make_token(app, 'verify', 'newbie', age=2)}").status_code == 302
    assert is_verified(app, "newbie")


def test_verify_link_for_another_account_says_so(app, client, auth, member, unverified):
    auth.login("jess")
    resp = client.get(f"/verify/{make_token(app, 'verify', 'newbie')}", follow_redirects=True)
    assert "That link was for another account." in flashes(resp)
    assert is_verified(app, "newbie")


# --- password reset --------------------------------------------------------------


def request_reset(client, email: str):
    return client.post("/reset", data={"email": email, "csrf_token": csrf_token(client, "/reset")})


def test_reset_end_to_end_and_link_works_once(app, client, auth, member):
    resp = request_reset(client, "JESS@example.com")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/login"
    (msg,) = read_outbox(app)
    assert msg["To"] == "jess@example.com"
    (link,) = mail_links(app)
    assert link.startswith("/reset/")

    assert client.get(link).status_code == 200
    resp = reset_form(client, link)
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/login"
    assert "Your password is changed. Sign in with it now." in flashes(client.get("/login"))

    assert auth.login("jess", PASSWORD).status_code == 422  # the old password is gone
    assert auth.login("jess", NEW_PASSWORD).status_code == 302
    logout(client)

    # The same link a second time: refused, and the password stays as set.
    for method in (client.get, lambda p: reset_form(client, p, password="yet-another-Passphrase-1")):
        again = method(link)
        assert again.status_code == 400
        assert "This link is not valid or has already been used." in text(again)
    assert auth.login("jess", NEW_PASSWORD).status_code == 302


def test_reset_confirms_an_unverified_address(app, client, unverified):
    path = f"/reset/{make_token(app, 'reset', 'newbie')}"
    assert reset_form(client, path).status_code == 302
    assert is_verified(app, "newbie")


@pytest.mark.parametrize(
    ("password", "confirm", "field", "message"),
    [
        ("short", None, "password", "Passwords must be at least 10 characters long."),
        (
            "password123",
            None,
            "password",
            "That password is on a list of commonly used passwords. Please choose another.",
        ),
        ("jess@example.com", None, "password", "Your password cannot be your email address."),
        (NEW_PASSWORD, NEW_PASSWORD + "!", "confirm", "The passwords do not match."),
    ],
)
def test_weak_new_password_is_refused_and_link_stays_valid(
    app, client, auth, member, password, confirm, field, message
):
    path = f"/reset/{make_token(app, 'reset', 'jess')}"
    resp = reset_form(client, path, password=password, confirm=confirm)
    assert resp.status_code == 422
    assert message in field_errors(resp)[field]
    assert auth.login("jess", PASSWORD).status_code == 302  # unchanged
    logout(client)
    assert reset_form(client, path).status_code == 302  # the link still works


@pytest.mark.parametrize("method", ["get", "post"])
def test_tampered_reset_link_is_refused(app, client, auth, member, method):
    path = f"/reset/{tamper(make_token(app, 'reset', 'jess'))}"
    resp = client.get(path) if method == "get" else reset_form(client, path)
    assert resp.status_code == 400
    assert "This link is not valid." in text(resp)
    assert auth.login("jess", PASSWORD).status_code == 302


def test_verify_token_does_not_work_as_reset_link(app, client, member):
    assert client.get(f"/reset/{make_token(app, 'verify', 'jess')}").status_code == 400


def test_expired_reset_link_is_refused(app, client, auth, member):
    path = f"/reset/{make_token(app, 'reset', 'jess', age=app.config['RESET_TOKEN_MAX_AGE'] + 1)}"
    resp = client.get(path)
    assert resp.status_code == 400
    assert "This link has expired. Ask for a new one." in text(resp)
    assert reset_form(client, path).status_code == 400
    assert auth.login("jess", PASSWORD).status_code == 302


def test_reset_link_expiry_follows_config(app, client, member, monkeypatch):
    monkeypatch.setitem(app.config, "RESET_TOKEN_MAX_AGE", 30)
    assert client.get(f"/reset/{make_token(app, 'reset', 'jess', age=31)}").status_code == 400
    assert client.get(f"/reset/{make_token(app, 'reset', 'jess', age=29)}").status_code == 200


def test_reset_request_does_not_reveal_accounts(app, client, member):
    known = request_reset(client, "jess@example.com")
    unknown = request_reset(client, "nobody@example.com")
    assert (
        (known.status_code, known.headers["Location"])
        == (unknown.status_code, unknown.headers["Location"])
        == (302, "/login")
    )
    # One mail, to the account that exists; none for the unknown address.
    assert [m["To"] for m in read_outbox(app)] == ["jess@example.com"]
    known_page = client.get("/login")
    request_reset(client, "nobody@example.com")
    unknown_page = client.get("/login")
    assert (
        flashes(known_page)
        == flashes(unknown_page)
        == ["If an account uses that address, we have sent it a link to reset the password."]
    )


def test_reset_for_unknown_address_sends_nothing(app, client):
    assert request_reset(client, "nobody@example.com").status_code == 302
    assert read_outbox(app) == []


def test_reset_request_form_problems(app, client):
    resp = request_reset(client, "not an email")
    assert resp.status_code == 422
    assert field_errors(resp)["email"] == ["Invalid email address."]
    assert read_outbox(app) == []


def test_reset_page_links(client):
    html = text(client.get("/reset"))
    assert 'name="email"' in html
    assert "Send reset link" in html


def test_reset_does_not_sign_in(app, client, member):
    path = f"/reset/{make_token(app, 'reset', 'jess')}"
    assert reset_form(client, path).status_code == 302
    assert signed_in_as(client) is None
