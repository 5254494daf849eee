"""Shared fixtures. The whole suite runs once on SQLite and, when
``FORUM_TEST_PG_URL`` is set, once more on PostgreSQL. The schema is always built by
running the Alembic migrations."""

from __future__ import annotations

import os
import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event, text

from forum import create_app
from forum.accounts import services as account_services
from forum.extensions import cache, db
from forum.models import Category

PASSWORD = "correct-horse-battery"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="pg",
        marks=pytest.mark.skipif(not os.environ.get("FORUM_TEST_PG_URL"), reason="FORUM_TEST_PG_URL not set"),
    ),
]


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'forum.sqlite'}"
    url = os.environ["FORUM_TEST_PG_URL"]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _reset_pg_schema(app) -> None:
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key",
            "MAIL_OUTBOX": str(instance / "outbox"),
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": "localhost",
            # Long enough that an expiry never lands inside a test (a stray refill would
            # change query counts); every test starts with an empty cache anyway.
            "INCIDENT_BANNER_TTL": 3600,
            # Buffered topic views reach the database only when a test flushes them
            # (tests/topics/test_reading.py), never in the middle of a query count.
            "TOPIC_VIEW_FLUSH_SECONDS": 3600,
            # search: an in-memory Whoosh index (RamStorage).
            "SEARCH_INDEX_DIR": None,
            # No background retry timers between tests (test_integrity turns one on).
            "SEARCH_RETRY_SECONDS": 0,
            # A tiny scrypt cost (production: N=2^17, ~0.3 s a hash); tests that check the
            # real cost ask for ``real_hashing`` (tests/accounts/conftest.py).
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
            # Staff fixtures sign in with a password only; the two-factor tests turn this
            # on (the ``staff_2fa`` fixture, tests/accounts/test_two_factor.py).
            "STAFF_2FA_REQUIRED": False,
        }
    )
    app.instance_path = str(instance)
    # Whoosh's RamStorage spills to <tmp>/MAIN.tmp, which every process on the host
    # shares (other checkouts' suites delete it mid-write): give this run its own.
    import tempfile

    private_tmp = instance / "tmp"
    private_tmp.mkdir(exist_ok=True)
    tempfile.tempdir = str(private_tmp)
    if database_url.startswith("postgresql"):
        _reset_pg_schema(app)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


class FormClient(FlaskClient):
    """The test client, posting forms as a browser does: a posting form's hidden
    one-time ``submission_token`` (forum.idempotency) goes with every POST of form
    data that does not name one itself. The idempotency tests pass their own tokens
    (or an empty one) to check what a repeated or forged submit does."""

    def post(self, *args, **kwargs):
        data = kwargs.get("data")
        if isinstance(data, dict) and "submission_token" not in data:
            token = submission_token_for(self)
            if token:
                kwargs["data"] = {**data, "submission_token": token}
        return super().post(*args, **kwargs)


def submission_token_for(client) -> str | None:
    """A fresh one-time submission token for the member signed in on ``client``."""
    from forum import idempotency
    from forum.accounts.sessions import hash_token
    from forum.models import UserSession

    with client.session_transaction() as sess:
        token = sess.get("_user_id")
    if not token:
        return None
    with client.application.test_request_context():
        user_id = db.session.scalar(
            db.select(UserSession.user_id).where(UserSession.token_hash == hash_token(token)))
        return idempotency.new_token(user_id) if user_id is not None else None


# Every app the tests build (several make their own) posts forms like a browser.
Flask.test_client_class = FormClient


@pytest.fixture(autouse=True)
def _clean_tables(app):
    yield
    with app.app_context():
        db.session.rollback()
        tables = list(reversed(db.metadata.sorted_tables))
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                db.session.execute(table.delete())
        db.session.commit()
        db.session.remove()
        cache.clear()  # the incident banner and page cache must not outlive the rows
    outbox = Path(app.config["MAIL_OUTBOX"])
    if outbox.exists():
        for f in outbox.iterdir():
            f.unlink()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create a committed user; returns its id-bearing detached copy's username."""
    counter = {"n": 0}

    def _make(username: str | None = None, *, role: str = "member", verified: bool = True, email: str | None = None,
              password: str = PASSWORD):
        counter["n"] += 1
        username = username or f"user{counter['n']}"
        with app.app_context():
            user = account_services.create_user(
                username=username, email=email or f"{username}@example.test", password=password, role=role, verified=verified
            )
            db.session.commit()
            return {"id": user.id, "username": user.username, "email": user.email, "role": role, "password": password}

    return _make


@pytest.fixture
def make_category(app):
    def _make(name: str = "Network & coverage", slug: str = "network", description: str = "Signal and outages"):
        with app.app_context():
            cat = Category(name=name, slug=slug, description=description, position=1)
            db.session.add(cat)
            db.session.commit()
            return {"id": cat.id, "slug": cat.slug, "name": cat.name}

    return _make


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, login: str, password: str = PASSWORD, remember: bool = False):
        self.client.get("/login")
        return self.client.post(
            "/login",
            data={"login": login, "password": password, "remember": "y" if remember else "", "csrf_token": csrf_token(self.client)},
        )

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client, "/")})


@pytest.fixture
def auth(client):
    return AuthActions(client)


_CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    """Fetch a page and return the CSRF token in its first form."""
    html = client.get(path).get_data(as_text=True)
    match = _CSRF_RE.search(html) or re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return next(g for g in match.groups() if g)


def read_outbox(app) -> list:
    """Parsed messages in the mail outbox, oldest first."""
    outbox = Path(app.config["MAIL_OUTBOX"])
    if not outbox.exists():
        return []
    return [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in sorted(outbox.glob("*.eml"))]


class QueryCounter:
    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    def _make():
        with app.app_context():
            return QueryCounter(db.engine)

    return _make
