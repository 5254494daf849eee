"""Fixtures for the sign-in-with-a-provider tests: a real provider on loopback (one per
test session) and the forum configured with two providers of it: ``customer`` (the
operator's customer accounts) and ``corp`` (the staff identity provider)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from forum.accounts import services as account_services
from tests.accounts.helpers import cheap_scrypt
from tests.sso.provider import CLIENT_SECRET, TestProvider

ROLE_MAP = {"forum-admins": "admin", "care-team": "staff", "moderators": "moderator"}


@pytest.fixture(scope="session")
def idp():
    provider = TestProvider().start()
    provider.clients = {"forum-customer": CLIENT_SECRET, "forum-corp": CLIENT_SECRET}
    yield provider
    provider.stop()


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    monkeypatch.setattr(account_services, "hash_password", cheap_scrypt)
    monkeypatch.setattr(account_services, "_DUMMY_HASH", cheap_scrypt("not-a-real-password-0"))


@pytest.fixture
def oidc(app, idp, monkeypatch):
    """The forum with both providers configured; returns the provider."""
    idp.reset()
    settings = {
        "OIDC_PROVIDERS": "customer,corp",
        "OIDC_CUSTOMER_ISSUER": idp.issuer, "OIDC_CUSTOMER_CLIENT_ID": "forum-customer",
        "OIDC_CUSTOMER_CLIENT_SECRET": CLIENT_SECRET, "OIDC_CUSTOMER_LABEL": "your Connect account",
        "OIDC_CORP_ISSUER": idp.issuer, "OIDC_CORP_CLIENT_ID": "forum-corp",
        "OIDC_CORP_CLIENT_SECRET": CLIENT_SECRET, "OIDC_CORP_LABEL": "Connect staff login",
        "OIDC_CORP_STAFF": True, "OIDC_CORP_ROLE_CLAIM": "groups", "OIDC_CORP_ROLE_MAP": ROLE_MAP,
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    return idp


class Flow:
    """One browser going through the sign-in: the forum's test client, and plain HTTP
    to the provider (it redirects back to the forum's callback)."""

    def __init__(self, client, idp):
        self.client = client
        self.idp = idp

    def start(self, name: str = "customer", **args):
        """Follow the "Sign in with ..." link of the sign-in page."""
        html = self.client.get("/login", query_string=args).get_data(as_text=True)
        assert f'href="/sso/{name}/start' in html
        return self.client.get(f"/sso/{name}/start", query_string=args)

    def authorize(self, start_response) -> str:
        """Follow the forum's redirect to the provider; returns the callback path."""
        assert start_response.status_code == 302, start_response.get_data(as_text=True)
        location = start_response.headers["Location"]
        assert location.startswith(self.idp.issuer + "/authorize?")
        answer = requests.get(location, allow_redirects=False, timeout=5)
        assert answer.status_code == 302, answer.text
        url = urlsplit(answer.headers["Location"])
        assert url.hostname == "localhost"
        return f"{url.path}?{url.query}"

    def sign_in(self, name: str = "customer", claims: dict | None = None, **data):
        """The whole round trip; returns the forum's answer to the callback."""
        if claims is not None:
            self.idp.next_claims = claims
        return self.client.get(self.authorize(self.start(name, **data)))


@pytest.fixture
def flow(client, oidc):
    return Flow(client, oidc)
