"""Fixtures for the admin tests."""

from __future__ import annotations

import pytest

from forum.accounts import services as account_services
from tests.accounts.helpers import cheap_scrypt
from tests.conftest import AuthActions


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    """Every test here creates several accounts; hash them with a tiny scrypt cost
    (tests/accounts checks the production setting)."""
    monkeypatch.setattr(account_services, "hash_password", cheap_scrypt)


@pytest.fixture
def client_as(app, make_user):
    """``client_as("admin")``: a test client signed in as a new user with that role
    (``None``: an anonymous client). Returns ``(client, user)``."""

    def _make(role: str | None, username: str | None = None):
        client = app.test_client()
        if role is None:
            return client, None
        user = make_user(username or f"{role}-user", role=role)
        resp = AuthActions(client).login(user["username"])
        assert resp.status_code == 302, "sign-in failed"
        return client, user

    return _make


@pytest.fixture
def admin_client(client_as):
    return client_as("admin", "boss")[0]
