"""Fixtures for the incident tests: the topic fixtures (cheap hashing, sign-in, forms)
plus incidents built through the service layer, and an empty cache for each test."""

from __future__ import annotations

import pytest

from forum.extensions import cache, db
from forum.incidents import services
from forum.models import Incident, User
from tests.topics.conftest import (  # noqa: F401 - fixtures re-exported for this package
    _fast_password_hashing,
    build,
    category,
    post_form,
    signed_in,
)


@pytest.fixture(autouse=True)
def _empty_cache(app):
    """The app (and its SimpleCache) lives for the whole session; tables are wiped
    between tests without telling the cache, so empty it on both sides."""
    with app.app_context():
        cache.clear()
    yield
    with app.app_context():
        cache.clear()


@pytest.fixture
def staff(make_user):
    return make_user("care.priya", role="staff")


@pytest.fixture
def make_incident(app, staff):
    """Open an incident through the service; returns its id."""

    def _make(title: str = "No 2G/3G service in parts of the UK", *, body: str = "We are investigating.",
              tags: str = "2G, 3G, Scotland", severity: str = "major", resolved: bool = False) -> int:
        with app.app_context():
            actor = db.session.get(User, staff["id"])
            incident = services.open_incident(actor=actor, title=title, tags=tags, severity=severity, body=body)
            if resolved:
                services.resolve_incident(incident, actor=actor, summary="A faulty card in a core switch. Replaced.")
            db.session.commit()
            return incident.id

    return _make


@pytest.fixture
def incident(make_incident):
    return make_incident()


@pytest.fixture
def load(app):
    """Read a row in a fresh app context: ``load(Incident, id)``."""

    def _load(model, ident):
        with app.app_context():
            obj = db.session.get(model, ident)
            if obj is not None:
                db.session.expunge(obj)
            return obj

    return _load


def incident_state(app, incident_id: int) -> str:
    with app.app_context():
        return db.session.get(Incident, incident_id).state
