"""The migration to per-kind email choices keeps explicit choices, gives the old
default (``off``, which nobody could tell from a choice) the new defaults, and does not
mail members their backlog."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from forum import create_app
from forum.extensions import db

CATEGORIES = {"replies", "staff", "moderation", "watched", "other"}


@pytest.fixture
def scratch_app(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'mig.sqlite'}",
                      "SECRET_KEY": "scratch", "MAIL_OUTBOX": str(tmp_path / "outbox")})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_existing_accounts_keep_explicit_choices(scratch_app):
    with scratch_app.app_context():
        upgrade(revision="issue18_self_service")
        with db.engine.begin() as conn:
            for uid, name, choice in [(1, "never", "off"), (2, "fast", "immediate"), (3, "digest", "daily")]:
                conn.execute(sa.text(
                    "INSERT INTO users (id, username, username_key, email, email_key, password_hash, role, created_at,"
                    " email_notifications, suspended_indefinitely)"
                    " VALUES (:id, :u, :u, :e, :e, 'x', 'member', CURRENT_TIMESTAMP, :c, 0)"),
                    {"id": uid, "u": name, "e": f"{name}@example.test", "c": choice})
            conn.execute(sa.text(
                "INSERT INTO notifications (user_id, kind, text, url, count, created_at)"
                " VALUES (1, 'reply', 'old', '/t/1', 1, CURRENT_TIMESTAMP), (2, 'moderation', 'old', '/t/1', 1,"
                " CURRENT_TIMESTAMP)"))
        upgrade()
        with db.engine.connect() as conn:
            prefs = conn.execute(sa.text("SELECT user_id, category, mode FROM email_preferences")).all()
            notes = conn.execute(sa.text("SELECT user_id, category, emailed_at FROM notifications ORDER BY id")).all()
            columns = {c["name"] for c in sa.inspect(conn).get_columns("users")}
    by_user: dict[int, dict[str, str]] = {}
    for uid, category, mode in prefs:
        by_user.setdefault(uid, {})[category] = mode
    assert 1 not in by_user  # "off" was the default: the new defaults apply
    assert by_user[2] == dict.fromkeys(CATEGORIES, "immediate")
    assert by_user[3] == dict.fromkeys(CATEGORIES, "daily")
    assert [(u, c) for u, c, _ in notes] == [(1, "replies"), (2, "moderation")]
    assert all(emailed is not None for _, _, emailed in notes)  # no backlog in the first digest
    assert "email_notifications" not in columns

    with scratch_app.app_context():
        downgrade(revision="issue18_self_service")
        with db.engine.connect() as conn:
            back = dict(conn.execute(sa.text("SELECT id, email_notifications FROM users")).all())
    assert back == {1: "off", 2: "immediate", 3: "daily"}
