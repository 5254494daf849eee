"""Signing in and out, "remember me", no account enumeration, resending the
verification mail."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.accounts.helpers import any_csrf_token, field_errors, flashes, logout, mail_links, signed_in_as, text
from tests.conftest import PASSWORD, read_outbox

NO_MATCH = "That username or email and password do not match an account."


@pytest.mark.parametrize("login", ["jess", "JESS", "Ｊｅｓｓ", "  jess  ", "jess@example.com", "Jess@Example.COM"])
def test_login_with_username_or_email(client, auth, member, login):
    resp = auth.login(login)
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"
    assert signed_in_as(client) == "jess"


def test_wrong_password_and_unknown_account_look_the_same(client, auth, member):
    def attempt(login, password):
        resp = auth.login(login, password)
        html = text(resp)
        # The page echoes what was typed; otherwise it must be identical.
        html = html.replace(login, "LOGIN")
        html = re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", html)
        return resp.status_code, field_errors(resp), html

    wrong_password = attempt("jess", "not-the-password-1")
    unknown_user = attempt("nobody", "not-the-password-1")
    wrong_password_email = attempt("jess@example.com", "not-the-password-1")
    unknown_email = attempt("nobody@example.com", "not-the-password-1")
    assert wrong_password[0] == unknown_user[0] == wrong_password_email[0] == unknown_email[0] == 422
    assert wrong_password[1] == unknown_user[1] == {"login": [NO_MATCH]}
    assert wrong_password[2] == unknown_user[2]
    assert wrong_password_email[2] == unknown_email[2]
    assert signed_in_as(client) is None


def test_unverified_member_can_sign_in(client, auth, unverified):
    assert auth.login("newbie").status_code == 302
    assert signed_in_as(client) == "newbie"
    assert "Confirm your email address to start posting" in text(client.get("/"))


def test_remember_me_sets_a_remember_cookie(app, client, auth, member):
    auth.login("jess", remember=True)
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    assert cookie.http_only
    lifetime = cookie.expires - datetime.now(UTC)
    assert timedelta(days=29) < lifetime <= timedelta(days=app.config["REMEMBER_COOKIE_DAYS"])


def test_without_remember_me_there_is_no_remember_cookie(client, auth, member):
    auth.login("jess", remember=False)
    assert signed_in_as(client) == "jess"
    assert client.get_cookie("remember_token") is None


def test_remember_cookie_alone_keeps_you_signed_in(app, client, auth, member):
    auth.login("jess", remember=True)
    token = client.get_cookie("remember_token").value
    fresh = app.test_client()
    fresh.set_cookie("remember_token", token)
    assert signed_in_as(fresh) == "jess"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/u/jess", "/u/jess"),
        ("//evil.example/x", "/"),
        ("https://evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),  # browsers drop the tab: "//evil.example"
        ("/\r\nSet-Cookie: x=1", "/"),  # header injection
        ("javascript:alert(1)", "/"),
    ],
)
def test_login_redirects_only_to_local_paths(client, member, target, expected):
    resp = client.post(
        "/login",
        query_string={"next": target},
        data={"login": "jess", "password": PASSWORD, "csrf_token": any_csrf_token(client)},
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == expected


def test_login_form_problems(client):
    resp = client.post("/login", data={"login": "", "password": "", "csrf_token": any_csrf_token(client)})
    assert resp.status_code == 422
    assert field_errors(resp) == {"login": ["This field is required."], "password": ["This field is required."]}


def test_login_without_csrf_token_is_refused(client, member):
    resp = client.post("/login", data={"login": "jess", "password": PASSWORD})
    assert resp.status_code == 400
    assert signed_in_as(client) is None


def test_signed_in_member_is_sent_home_from_login(client, auth, member):
    auth.login("jess")
    assert client.get("/login").headers["Location"] == "/"


# --- logout ------------------------------------------------------------------------


def test_get_logout_shows_a_button_and_keeps_you_signed_in(client, auth, member):
    auth.login("jess")
    resp = client.get("/logout")
    assert resp.status_code == 200
    html = text(resp)
    assert '<form method="post">' in html
    assert 'name="csrf_token"' in html
    assert '<button type="submit" class="button">Sign out</button>' in html
    assert signed_in_as(client) == "jess"


def test_logout_post_without_csrf_is_refused(client, auth, member):
    auth.login("jess")
    resp = client.post("/logout")
    assert resp.status_code == 400
    assert "security token" in text(resp)
    assert signed_in_as(client) == "jess"


def test_logout_post_with_wrong_csrf_is_refused(client, auth, member):
    auth.login("jess")
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert signed_in_as(client) == "jess"


def test_logout_post_signs_out_and_clears_remember_cookie(client, auth, member):
    auth.login("jess", remember=True)
    resp = logout(client)
    assert resp.status_code == 302
    assert "You are signed out." in flashes(client.get(resp.headers["Location"]))
    assert signed_in_as(client) is None
    assert client.get_cookie("remember_token") is None


def test_logout_page_when_signed_out(client):
    resp = client.get("/logout")
    assert resp.status_code == 200
    assert "You are not signed in." in text(resp)


# --- resend verification ----------------------------------------------------------


def test_unverified_member_can_ask_for_a_new_link(app, client, auth, unverified):
    auth.login("newbie")
    resp = client.post(
        "/verify/resend", query_string={"next": "/u/newbie"}, data={"csrf_token": any_csrf_token(client)}
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/u/newbie"
    assert "We have sent the confirmation link again. Check your inbox." in flashes(client.get("/"))
    (msg,) = read_outbox(app)
    assert msg["To"] == "newbie@example.com"
    (link,) = mail_links(app)
    assert client.get(link).status_code == 302
    assert "Confirm your email address to start posting" not in text(client.get("/"))


def test_banner_offers_resend_to_unverified_members(client, auth, unverified):
    auth.login("newbie")
    html = text(client.get("/"))
    assert 'action="/verify/resend?next=/"' in html


def test_resend_sends_nothing_to_verified_members(app, client, auth, member):
    auth.login("jess")
    assert client.post("/verify/resend", data={"csrf_token": any_csrf_token(client)}).status_code == 302
    assert read_outbox(app) == []


def test_resend_needs_sign_in(app, client):
    resp = client.post("/verify/resend", data={"csrf_token": any_csrf_token(client)})
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login")
    assert read_outbox(app) == []


def test_resend_without_csrf_is_refused(app, client, auth, unverified):
    auth.login("newbie")
    assert client.post("/verify/resend").status_code == 400
    assert read_outbox(app) == []


def test_resend_by_get_sends_nothing(app, client, auth, unverified):
    auth.login("newbie")
    assert client.get("/verify/resend").status_code == 400  # read as a /verify/<token> link
    assert read_outbox(app) == []
