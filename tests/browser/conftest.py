"""Fixtures for the browser tests: a live forum served by werkzeug on 127.0.0.1 and a
headless Debian Chromium driven by Playwright.

The browser tests run once, on their own SQLite files: they do not use the
backend-parametrised ``app`` fixture, and ``_clean_tables`` is replaced by a no-op
here so that the shared session database is never set up for them."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import BaseWSGIServer, make_server

from forum import create_app
from forum.extensions import db
from forum.models import Category

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def _clean_tables():
    """Override the root conftest's cleaner: these tests own their databases."""
    return


@dataclass
class LiveServer:
    app: Flask
    url: str
    outbox: Path


def _start(tmp: Path, name: str, **config) -> tuple[LiveServer, BaseWSGIServer, threading.Thread]:
    outbox = tmp / "outbox"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / f'{name}.sqlite'}",
            "SECRET_KEY": f"browser-{name}",
            "MAIL_OUTBOX": str(outbox),
            "RATELIMIT_ENABLED": False,
            # The journeys sign staff in with a password; test_two_factor_journey turns it on.
            "STAFF_2FA_REQUIRED": False,
            **config,
        }
    )
    app.instance_path = str(tmp)
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"live-{name}", daemon=True)
    thread.start()
    return LiveServer(app, f"http://127.0.0.1:{server.server_port}", outbox), server, thread


def _stop(live: LiveServer, server: BaseWSGIServer, thread: threading.Thread) -> None:
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    with live.app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """A forum with one board, for the user journeys."""
    live, server, thread = _start(tmp_path_factory.mktemp("live"), "journeys")
    with live.app.app_context():
        db.session.add(
            Category(name="Network & coverage", slug="network", description="Signal and outages", position=1)
        )
        db.session.commit()
    yield live
    _stop(live, server, thread)


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory) -> Iterator[LiveServer]:
    """A forum seeded by ``flask demo``."""
    live, server, thread = _start(tmp_path_factory.mktemp("demo"), "demo")
    result = live.app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    yield live
    _stop(live, server, thread)


@pytest.fixture(scope="session")
def two_factor_server(tmp_path_factory) -> Iterator[LiveServer]:
    """A forum where staff must use two-factor sign-in, as in production."""
    live, server, thread = _start(tmp_path_factory.mktemp("twofactor"), "twofactor", STAFF_2FA_REQUIRED=True)
    yield live
    _stop(live, server, thread)


@pytest.fixture(scope="session")
def chromium():
    """Headless Debian Chromium. Skips when it is missing, unless FORUM_REQUIRE_BROWSER=1."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium); browser tests need it"
        if os.environ.get("FORUM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"FORUM_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium):
    """Open pages in fresh browser contexts (separate cookies), closed after the test.

    Every request must stay on 127.0.0.1 (others are aborted and fail the test), and
    no response may be a server error."""
    contexts = []
    problems: list[str] = []

    def _guard(route):
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith(("data:", "about:")) or host == "127.0.0.1":
            route.continue_()
        else:
            problems.append(f"request left 127.0.0.1: {route.request.url}")
            route.abort()

    def _check_response(response):
        if response.status >= 500:
            problems.append(f"{response.status} from {response.url}")

    def _open(*, javascript: bool = True, viewport: dict | None = None):
        context = chromium.new_context(
            java_script_enabled=javascript, viewport=viewport or {"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        context.route("**/*", _guard)
        contexts.append(context)
        page = context.new_page()
        page.on("response", _check_response)
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        return page

    yield _open
    for context in contexts:
        context.close()
    assert not problems, problems
