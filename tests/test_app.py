"""The app factory, settings, health check, database pragmas and error pages."""

from __future__ import annotations

import os
import stat

import pytest
from flask import g
from flask_migrate import upgrade
from sqlalchemy import func, inspect, select, text

from forum import create_app
from forum.accounts import services as account_services
from forum.extensions import db
from forum.models import User

UNREACHABLE_URLS = [
    pytest.param("postgresql+psycopg://nobody@127.0.0.1:1/x", id="pg-closed-port"),
    pytest.param("sqlite:////nonexistent-forum-dir/sub/forum.sqlite", id="sqlite-missing-dir"),
]


@pytest.fixture
def build_app(tmp_path, monkeypatch):
    """Build apps on throw-away instance folders; their engines are disposed afterwards."""
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("FORUM_SECRET_KEY", raising=False)
    built = []

    def _build(config=None, *, migrate: bool = False):
        config = dict(config or {})
        config.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'app.sqlite'}")
        config.setdefault("MAIL_OUTBOX", str(tmp_path / "outbox"))
        new_app = create_app(config)
        built.append(new_app)
        if migrate:
            with new_app.app_context():
                upgrade()
        return new_app

    yield _build
    for built_app in built:
        with built_app.app_context():
            db.engine.dispose()


# -- factory --------------------------------------------------------------------


def test_factory_default_is_not_testing(build_app):
    assert not build_app().testing


def test_factory_testing_config(build_app):
    testing_app = build_app({"TESTING": True, "SECRET_KEY": "x"})
    assert testing_app.testing
    assert testing_app.config["SECRET_KEY"] == "x"


def test_factory_normalises_postgresql_url(build_app):
    pg_app = build_app({"SQLALCHEMY_DATABASE_URI": "postgresql://u@127.0.0.1:1/x"})
    assert pg_app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@127.0.0.1:1/x"


def test_default_database_lives_in_the_instance_folder(build_app, tmp_path, monkeypatch):
    monkeypatch.delenv("FORUM_DATABASE_URL", raising=False)
    monkeypatch.delenv("FORUM_SQLALCHEMY_DATABASE_URI", raising=False)
    default_app = build_app({"SQLALCHEMY_DATABASE_URI": None})
    assert default_app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'forum.db'}"


def test_settings_from_env(build_app, monkeypatch):
    monkeypatch.setenv("FORUM_BRAND_NAME", "Acme Mobile Help")
    monkeypatch.setenv("FORUM_THREADS_PER_PAGE", "7")
    branded = build_app({"TESTING": True, "SECRET_KEY": "x"}, migrate=True)
    assert branded.config["THREADS_PER_PAGE"] == 7  # JSON-decoded, not the string "7"
    resp = branded.test_client().get("/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Acme Mobile Help" in html
    assert "Connect Community" not in html


def test_rate_limit_setting_belongs_to_each_app(build_app):
    """Flask-Limiter is one shared object; building a second app must not switch the
    first one's limits off (or on)."""
    settings = {"TESTING": True, "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False, "RATELIMIT_AUTH": "2 per minute"}
    limited = build_app({**settings, "RATELIMIT_ENABLED": True}, migrate=True)
    unlimited = build_app({**settings, "RATELIMIT_ENABLED": False})

    limited_client, unlimited_client = limited.test_client(), unlimited.test_client()
    assert [unlimited_client.post("/login").status_code for _ in range(4)] == [422] * 4
    assert [limited_client.post("/login").status_code for _ in range(3)] == [422, 422, 429]
    assert unlimited_client.post("/login").status_code == 422


# -- secret key -----------------------------------------------------------------


def test_secret_key_is_generated_once_into_the_instance_folder(build_app, tmp_path):
    key_file = tmp_path / "instance" / "secret_key"
    assert not key_file.exists()
    first = build_app()
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = first.config["SECRET_KEY"]
    assert len(key) >= 32
    assert key_file.read_text().strip() == key

    second = build_app()
    assert second.config["SECRET_KEY"] == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_explicit_secret_key_writes_no_file(build_app, tmp_path):
    build_app({"SECRET_KEY": "from-config"})
    assert not (tmp_path / "instance" / "secret_key").exists()


# -- health ---------------------------------------------------------------------


def test_healthz_ok(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"db": "ok"}


@pytest.mark.parametrize("url", UNREACHABLE_URLS)
def test_healthz_503_when_database_is_unreachable(build_app, url):
    broken = build_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    resp = broken.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.is_json
    assert resp.get_json()["db"] != "ok"


# -- database connection --------------------------------------------------------


def test_sqlite_connection_pragmas(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite pragmas only")
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar().lower() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() > 0


# -- error pages ----------------------------------------------------------------


def test_404_page_is_friendly(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404
    html = resp.get_data(as_text=True)
    assert "We could not find that page." in html
    assert "<main" in html  # the site layout, not a bare werkzeug page
    assert 'href="/"' in html


def test_404_as_json_for_api_clients(client):
    resp = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert resp.status_code == 404
    assert resp.get_json() == {"error": "We could not find that page.", "status": 404}


def test_500_page_rolls_back_the_session(build_app):
    broken = build_app({"SECRET_KEY": "x"}, migrate=True)
    broken.config["PROPAGATE_EXCEPTIONS"] = False  # let the 500 handler run, as in production
    seen: dict[str, object] = {}

    @broken.route("/boom")
    def boom():
        user = account_services.create_user(username="ghost", email="ghost@example.test", password="x" * 12 + "Yz9!")
        db.session.flush()
        g.ghost = user
        raise RuntimeError("boom")

    @broken.after_request
    def inspect_session(response):
        user = g.get("ghost")
        if user is not None:
            seen["persistent_after_error"] = inspect(user).persistent
        return response

    resp = broken.test_client().get("/boom")
    assert resp.status_code == 500
    html = resp.get_data(as_text=True)
    assert "Something went wrong on our side" in html
    assert "RuntimeError" not in html
    assert "Traceback" not in html
    # The handler rolled the flushed row back before rendering the page.
    assert seen == {"persistent_after_error": False}
    with broken.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


# -- layout and accessibility ---------------------------------------------------


def test_layout_landmarks(client, make_category):
    make_category()
    html = client.get("/").get_data(as_text=True)
    for tag in ("<header", "<nav", "<footer"):
        assert tag in html
    assert html.count("<main") == 1
    assert 'id="main"' in html
    assert '<a class="skip-link" href="#main"' in html
    assert '<html lang="en">' in html


def test_form_inputs_have_labels(client):
    html = client.get("/register").get_data(as_text=True)
    for field in ("username", "email", "password", "confirm"):
        assert f'<label for="{field}"' in html
        assert f'id="{field}"' in html


def test_instance_env_does_not_leak(build_app, tmp_path):
    """FORUM_INSTANCE_PATH moves the instance folder (used by every build_app test)."""
    built = build_app({"SECRET_KEY": "x"})
    assert built.instance_path == str(tmp_path / "instance")
    assert os.path.isdir(built.instance_path)
