"""Search fixtures: a fresh index per test, and the topic builders.

Every search test runs with the Whoosh backend; on the PostgreSQL runs
(``FORUM_TEST_PG_URL``) it runs once more with the PostgreSQL full-text backend
(``SEARCH_BACKEND=postgresql``), except those marked ``whoosh_only``."""

from __future__ import annotations

import os

import pytest

from forum.extensions import db
from forum.search.index import SearchBackend
from forum.search.indexer import get_backend, reset_backend
from tests.topics.conftest import _fast_password_hashing, at, build, category, post_form, signed_in  # noqa: F401

SEARCH_BACKENDS = [pytest.param("whoosh", id="whoosh")]
if os.environ.get("FORUM_TEST_PG_URL"):
    SEARCH_BACKENDS.append(pytest.param("postgresql", id="pgfts"))


@pytest.fixture(autouse=True, params=SEARCH_BACKENDS)
def search_backend(request, app, database_url):
    """The search backend of this run: ``whoosh`` or ``postgresql``."""
    if request.param == "postgresql":
        if not database_url.startswith("postgresql"):
            pytest.skip("the postgresql search backend needs a PostgreSQL database")
        if request.node.get_closest_marker("whoosh_only"):
            pytest.skip("about the Whoosh index itself")
    app.config["SEARCH_BACKEND"] = request.param
    reset_backend(app)
    yield request.param
    reset_backend(app)
    app.config["SEARCH_BACKEND"] = "whoosh"


@pytest.fixture
def backend(app):
    with app.app_context():
        return get_backend()


@pytest.fixture
def standalone(app, search_backend):
    """A backend outside the app (no request, no outbox), empty: ``standalone()``."""

    def _make():
        if search_backend == "postgresql":
            from forum.search.pg import PostgresBackend

            with app.app_context():
                return PostgresBackend(db.engine)
        return SearchBackend(None)

    return _make


@pytest.fixture
def search(client):
    """GET the search page; returns (status, html)."""

    def _search(**params):
        resp = client.get("/search", query_string=params)
        return resp.status_code, resp.get_data(as_text=True)

    return _search
