"""Notification fixtures: the help-desk ones (a thread by ``author`` with replies by
``helper`` and ``care``; ``notes(user)``) and a helper for the mails a member got."""

from __future__ import annotations

import pytest

from tests.conftest import read_outbox
from tests.helpdesk.conftest import notes, thread  # noqa: F401 - shared fixtures
from tests.topics.conftest import (  # noqa: F401 - shared fixtures
    _fast_password_hashing,
    at,
    build,
    category,
    post_form,
    signed_in,
)


@pytest.fixture
def mails(app):
    """``mails(user)``: the messages in the outbox addressed to ``user``, oldest first."""
    return lambda user: [m for m in read_outbox(app) if m["To"] == user["email"]]
