"""Sign in with OpenID Connect, against a real provider on loopback (tests/sso/provider.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import AccountEvent, SsoLink, User, UserSession
from tests.conftest import PASSWORD, AuthActions, csrf_token

CUSTOMER = {"sub": "cust-001", "email": "jess@example.com", "email_verified": True, "preferred_username": "jess_k"}


def text(resp) -> str:
    return resp.get_data(as_text=True)


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (User, SsoLink, UserSession))


def signed_in(client) -> bool:
    """Whether the browser is signed in all the way (its settings page opens)."""
    return client.get("/settings").status_code == 200


def link_of(app, sub: str):
    with app.app_context():
        row = db.session.scalar(select(SsoLink).where(SsoLink.subject == sub))
        return None if row is None else (row.provider, row.user_id, row.linked_by)


def user(app, username: str) -> User:
    with app.app_context():
        u = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(u)
        return u


# --- no provider -------------------------------------------------------------------------


def test_no_provider_configured_means_no_button_and_404(client):
    assert "Sign in with" not in text(client.get("/login"))
    assert client.get("/sso/customer/callback?code=a&state=b").status_code == 404
    assert client.get("/sso/customer/finish").status_code == 404


def test_unknown_provider_is_404(flow, client):
    assert client.get("/sso/nobody/start").status_code == 404
    assert client.get("/sso/nobody/callback?code=a&state=b").status_code == 404


def test_sign_in_page_shows_a_link_per_provider(flow, client):
    html = text(client.get("/login?next=/settings"))
    assert 'href="/sso/customer/start?next=/settings"' in html
    assert "Sign in with your Connect account" in html
    assert 'href="/sso/corp/start?next=/settings"' in html
    assert "Sign in with Connect staff login" in html


def test_only_following_the_link_starts_a_session(flow, client):
    home = client.get("/")
    assert "Set-Cookie" not in home.headers
    resp = client.get("/sso/customer/start")
    assert resp.status_code == 302
    assert "Set-Cookie" in resp.headers
    assert resp.headers["Cache-Control"] == "private, no-store"


# --- happy paths -------------------------------------------------------------------------


def test_first_sign_in_creates_an_account_with_the_chosen_username(app, flow, client):
    resp = flow.sign_in(claims={**CUSTOMER, "email": "new@example.com"})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/sso/customer/finish")
    page = client.get("/sso/customer/finish")
    assert page.status_code == 200
    assert "new@example.com" not in text(page)  # not even shown back on the form
    assert 'value="jess_k"' in text(page)  # the provider's nickname is only a suggestion
    resp = client.post("/sso/customer/finish/new", data={"username": "roaming.rita",
                                                         "csrf_token": csrf_token(client, "/sso/customer/finish")})
    assert resp.status_code == 302, text(resp)
    rita = user(app, "roaming.rita")
    assert rita.email == "new@example.com"
    assert rita.email_verified_at is not None
    assert rita.role == "member"
    assert link_of(app, "cust-001") == ("customer", rita.id, "new_account")
    assert signed_in(client)
    # The PKCE verifier went to the token endpoint; the provider checked it (S256).
    assert flow.idp.token_requests[-1]["code_verifier"]
    # The next sign-in goes straight in, through the link.
    AuthActions(client).logout()
    resp = flow.sign_in(claims={**CUSTOMER, "email": "changed@example.com"})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/")
    assert signed_in(client)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_new_account_username_follows_registration_rules(app, make_user, flow, client):
    make_user("taken_name")
    flow.sign_in(claims={**CUSTOMER, "email": "new@example.com"})
    token = csrf_token(client, "/sso/customer/finish")
    for bad, words in (("ab", "3 to 30"), ("taken_name", "taken"), ("TAKEN_NAME", "taken"),
                       ("a\u200bb\u200bc", "invisible"), ("Customer_Care", "staff")):
        resp = client.post("/sso/customer/finish/new", data={"username": bad, "csrf_token": token})
        assert resp.status_code == 422, bad
        assert words in text(resp), (bad, text(resp))
    assert counts(app) == (1, 0, 0)


def test_link_an_existing_account_with_its_password(app, make_user, flow, client):
    jess = make_user("jess", email="jess@example.com", verified=False)
    resp = flow.sign_in(claims=CUSTOMER)  # verified at the provider, not here: no match
    assert resp.headers["Location"].endswith("/sso/customer/finish")
    token = csrf_token(client, "/sso/customer/finish")
    wrong = client.post("/sso/customer/finish/link", data={"login": "jess", "password": "not-the-password",
                                                           "csrf_token": token})
    assert wrong.status_code == 422
    assert "do not match" in text(wrong)
    assert link_of(app, "cust-001") is None
    ok = client.post("/sso/customer/finish/link", data={"login": "jess", "password": PASSWORD, "csrf_token": token})
    assert ok.status_code == 302, text(ok)
    assert link_of(app, "cust-001") == ("customer", jess["id"], "password")
    with app.app_context():
        kinds = set(db.session.scalars(select(AccountEvent.kind).where(AccountEvent.user_id == jess["id"])))
    assert {"sso_linked", "signed_in"} <= kinds


def test_link_by_verified_email_match(app, make_user, flow, client):
    jess = make_user("jess", email="Jess@Example.com", verified=True)
    resp = flow.sign_in(claims=CUSTOMER)
    assert resp.status_code == 302
    assert not resp.headers["Location"].endswith("/finish")
    assert link_of(app, "cust-001") == ("customer", jess["id"], "verified_email")
    assert signed_in(client)


def test_unverified_provider_email_never_links(app, make_user, flow, client):
    make_user("jess", email="jess@example.com", verified=True)
    resp = flow.sign_in(claims={**CUSTOMER, "email_verified": False})
    assert resp.headers["Location"].endswith("/sso/customer/finish")
    # Nor can it take over the address with a new account.
    resp = client.post("/sso/customer/finish/new", data={"username": "someone_else",
                                                         "csrf_token": csrf_token(client, "/sso/customer/finish")})
    assert resp.status_code == 422
    assert "link it with its password" in text(resp)
    assert counts(app) == (1, 0, 0)


def test_next_is_kept_through_the_round_trip(app, make_user, flow, client):
    make_user("jess", email="jess@example.com", verified=True)
    resp = flow.sign_in(claims=CUSTOMER, next="/settings")
    assert resp.headers["Location"].endswith("/settings")
    AuthActions(client).logout()
    resp = flow.sign_in(claims=CUSTOMER, next="https://evil.example/")
    assert "evil" not in resp.headers["Location"]


@pytest.mark.parametrize(("settings", "words"), [
    ({"OIDC_PROVIDERS": "corp"}, "FORUM_OIDC_CORP_ISSUER"),
    ({"OIDC_PROVIDERS": "Bad Name!"}, "provider name"),
    ({"OIDC_PROVIDERS": "corp", "OIDC_CORP_ISSUER": "http://idp", "OIDC_CORP_CLIENT_ID": "x",
      "OIDC_CORP_ROLE_MAP": {"g": "overlord"}}, "unknown role"),
])
def test_bad_settings_stop_the_app_at_start(settings, words):
    from forum import create_app

    with pytest.raises(ValueError, match=words):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", **settings})


def test_deleting_the_account_removes_its_links(app, make_user, flow, client):
    from forum.accounts import self_service

    jess = make_user("jess", email="jess@example.com", verified=True)
    flow.sign_in(claims=CUSTOMER)
    assert link_of(app, "cust-001") is not None
    with app.app_context():
        self_service.delete_account(db.session.get(User, jess["id"]), password=PASSWORD)
        db.session.commit()
    assert link_of(app, "cust-001") is None
