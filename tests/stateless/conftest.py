"""Fixtures for the stateless-host tests: the incident and topic fixtures, and the
queue-time header of an overloaded load balancer."""

from __future__ import annotations

import time

import pytest

from tests.incidents.conftest import _empty_cache, incident, make_incident, staff  # noqa: F401 - re-exported
from tests.topics.conftest import _fast_password_hashing, build, category, signed_in  # noqa: F401 - re-exported


def queued(seconds: float) -> dict:
    """The header a balancer sends for a request that waited ``seconds`` in its queue."""
    return {"X-Request-Start": f"t={int((time.time() - seconds) * 1000)}"}


@pytest.fixture
def overloaded():
    return queued(2.0)
