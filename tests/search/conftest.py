"""Search fixtures: a fresh in-memory index per test, and the topic builders."""

from __future__ import annotations

import pytest

from forum.search.indexer import get_backend, reset_backend
from tests.topics.conftest import _fast_password_hashing, at, build, category, post_form, signed_in  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_index(app):
    reset_backend(app)
    yield
    reset_backend(app)


@pytest.fixture
def backend(app):
    with app.app_context():
        return get_backend()


@pytest.fixture
def search(client):
    """GET the search page; returns (status, html)."""

    def _search(**params):
        resp = client.get("/search", query_string=params)
        return resp.status_code, resp.get_data(as_text=True)

    return _search
