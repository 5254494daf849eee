"""Fixtures for the account tests. Plain helpers are in ``tests/accounts/helpers.py``."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from forum.accounts import services as account_services
from tests.accounts.helpers import cheap_scrypt

# Few examples: every example is a full request. Function-scoped fixtures (client,
# app) are shared by the examples on purpose; each example uses a fresh client.
settings.register_profile(
    "forum-accounts",
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(request, monkeypatch):
    """Hash with a tiny scrypt cost unless the test asks for ``real_hashing``. The
    dummy hash that unknown logins are checked against gets the same cost, as in
    production."""
    if "real_hashing" not in request.fixturenames:
        monkeypatch.setattr(account_services, "hash_password", cheap_scrypt)
        monkeypatch.setattr(account_services, "_DUMMY_HASH", cheap_scrypt("not-a-real-password-0"))


@pytest.fixture
def real_hashing(app, monkeypatch):
    """Request this to hash passwords with the production scrypt settings."""
    from forum.config import DefaultConfig

    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", DefaultConfig.PASSWORD_HASH_METHOD)


@pytest.fixture
def member(make_user):
    return make_user("jess", email="jess@example.com")


@pytest.fixture
def unverified(make_user):
    return make_user("newbie", email="newbie@example.com", verified=False)
