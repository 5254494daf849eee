"""Throttling that holds (issue 18, findings 7 and 8): per account as well as per IP,
with a notice to the member; a start-up warning when limits are per process."""

from __future__ import annotations

import logging

import pytest
from flask_migrate import upgrade

from forum import create_app
from forum.accounts import services as account_services
from forum.accounts.throttle import warn_if_per_process, worker_count
from forum.extensions import db, limiter
from tests.conftest import PASSWORD, read_outbox


@pytest.fixture
def limited_app(tmp_path):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "x",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'limits.sqlite'}",
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_AUTH": "100 per minute",
        "RATELIMIT_LOGIN_ACCOUNT": "5 per minute;8 per hour",
        "RATELIMIT_RESET_ACCOUNT": "2 per hour",
        "RATELIMIT_REGISTER_EMAIL": "2 per hour",
        "SEARCH_INDEX_DIR": None,
    })
    with app.app_context():
        upgrade()
        account_services.create_user(username="jess", email="jess@example.com", password=PASSWORD, verified=True)
        account_services.create_user(username="kim", email="kim@example.com", password=PASSWORD, verified=True)
        db.session.commit()
    limiter.reset()
    yield app
    limiter.reset()
    with app.app_context():
        db.engine.dispose()


def login(app, login, password, ip):
    client = app.test_client()
    return client.post("/login", data={"login": login, "password": password}, environ_base={"REMOTE_ADDR": ip})


def test_failed_sign_ins_from_many_addresses_pause_the_account(limited_app):
    """Finding 7: 57 wrong passwords from 3 addresses were all tried, then the account
    signed in from a fourth."""
    statuses = [login(limited_app, "jess", f"wrong-{i}", f"198.51.100.{i % 3 + 1}").status_code for i in range(8)]
    assert statuses[:5] == [422] * 5
    assert statuses[5:] == [429] * 3
    resp = login(limited_app, "JESS", PASSWORD, "198.51.100.77")  # the right password, a fourth address
    assert resp.status_code == 429
    html = resp.get_data(as_text=True)
    assert "Too many failed sign-ins for this account" in html
    assert "reset your password" in html
    assert int(resp.headers["Retry-After"]) >= 1
    # Another account is not affected, and the email form of the same login is the same account.
    assert login(limited_app, "kim", PASSWORD, "198.51.100.1").status_code == 302
    assert login(limited_app, "jess@example.com", PASSWORD, "198.51.100.9").status_code == 429


def test_the_member_is_told_once(limited_app):
    for i in range(9):
        login(limited_app, "jess", f"wrong-{i}", f"203.0.113.{i}")
    notices = [m for m in read_outbox(limited_app) if "Sign-in attempts" in m["Subject"]]
    assert len(notices) == 1
    assert notices[0]["To"] == "jess@example.com"


def test_successful_sign_ins_do_not_count(limited_app):
    for _ in range(7):
        assert login(limited_app, "jess", PASSWORD, "192.0.2.1").status_code == 302


def test_unknown_accounts_are_throttled_the_same(limited_app):
    statuses = [login(limited_app, "nobody", "x-wrong", f"192.0.2.{i}").status_code for i in range(6)]
    assert statuses == [422] * 5 + [429]
    assert read_outbox(limited_app) == []


def test_reset_and_registration_are_limited_per_address(limited_app):
    client = limited_app.test_client()
    statuses = [client.post("/reset", data={"email": "jess@example.com"},
                            environ_base={"REMOTE_ADDR": f"192.0.2.{i}"}).status_code for i in range(3)]
    assert statuses == [302, 302, 429]
    assert len(read_outbox(limited_app)) == 2
    statuses = [limited_app.test_client().post("/register", data={
        "username": f"new{i}", "email": "same@example.test", "password": "x", "confirm": "y"},
        environ_base={"REMOTE_ADDR": f"192.0.2.{i}"}).status_code for i in range(3)]
    assert statuses[2] == 429


def test_posting_budget_is_per_account_not_per_session(tmp_path):
    """The posting limit keys on the account: two sessions of one member share it."""
    from forum.topics import ratelimit

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SEARCH_INDEX_DIR": None,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'k.sqlite'}"})
    with app.app_context():
        upgrade()
        user = account_services.create_user(username="jess", email="j@example.test", password=PASSWORD)
        db.session.commit()
        for token in ("one-session", "another-session"):
            with app.test_request_context():
                from flask_login import login_user

                user.session_token = token
                login_user(user)
                assert ratelimit._account_key() == f"account:{user.id}"
        db.engine.dispose()


def test_start_up_warns_when_limits_are_per_process(limited_app, monkeypatch, caplog):
    """Finding 8: with 2 workers and no Redis every limit was per worker."""
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    assert worker_count() == 2
    with caplog.at_level(logging.WARNING):
        assert warn_if_per_process(limited_app) is True
    assert "docs/deploy.md" in caplog.text
    assert "2 workers" in caplog.text
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    assert warn_if_per_process(limited_app) is False
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    limited_app.config["RATELIMIT_STORAGE_URI"] = "redis://localhost:6379/0"
    assert warn_if_per_process(limited_app) is False


@pytest.mark.parametrize(("argv", "env", "n"), [
    (["gunicorn", "-w", "3", "wsgi:app"], "", 3), (["gunicorn", "--workers=2"], "", 2), (["gunicorn", "-w4"], "", 4),
    (["gunicorn", "wsgi:app"], "--workers 5", 5), (["flask", "run"], "", 1),
])
def test_worker_count_reads_gunicorns_arguments(monkeypatch, argv, env, n):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("FORUM_WORKERS", raising=False)
    monkeypatch.setenv("GUNICORN_CMD_ARGS", env)
    monkeypatch.setattr("sys.argv", argv)
    assert worker_count() == n
