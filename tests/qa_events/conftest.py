"""Fixtures for the Q&A session tests: a fake clock, the people of a session, and
sessions built through the service layer."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from forum.extensions import db
from forum.models import QAEvent, Question, User
from forum.qa_events import services
from tests.topics.conftest import _fast_password_hashing, post_form, signed_in  # noqa: F401 - shared fixtures

#: Questions open at T0; the live hour is a day later.
T0 = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)
WINDOWS = {
    "questions_open_at": T0,
    "questions_close_at": T0 + timedelta(hours=25),
    "live_starts_at": T0 + timedelta(hours=24),
    "live_ends_at": T0 + timedelta(hours=25),
}
#: A moment inside each state, by the windows alone.
WHEN = {
    "scheduled": T0 - timedelta(hours=1),
    "open": T0 + timedelta(hours=1),
    "live": T0 + timedelta(hours=24, minutes=10),
    "answered": T0 + timedelta(days=3),
    "archived": T0 + timedelta(days=30),
}
ROLES = ("member", "moderator", "staff", "executive", "admin")


class FakeClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime | str) -> None:
        self.now = WHEN[when] if isinstance(when, str) else when


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """Every Q&A test runs on a fake clock, in the question window by default."""
    fake = FakeClock(WHEN["open"])
    monkeypatch.setattr(services, "clock", fake)
    return fake


@pytest.fixture
def people(make_user):
    """The cast: the session's executive, staff, a moderator, an admin and members."""
    return {
        "dana": make_user("dana", role="executive"),
        "other_exec": make_user("otherexec", role="executive"),
        "priya": make_user("priya", role="staff"),
        "sam": make_user("sam", role="moderator"),
        "alex": make_user("alex", role="admin"),
        "ann": make_user("ann"),
        "bob": make_user("bob"),
        "cy": make_user("cyd"),
    }


def user(ref) -> User:
    return ref if isinstance(ref, User) else db.session.get(User, ref["id"] if isinstance(ref, dict) else ref)


class Builder:
    def __init__(self, people):
        self.people = people

    def __getitem__(self, name: str) -> User:
        return user(self.people[name])

    def event(self, slug: str = "ask-dana", *, created: datetime | None = None, **kw) -> QAEvent:
        values = {**WINDOWS, **kw}
        return services.create_event(
            actor=self["priya"], title=kw.pop("title", "Ask Dana anything"), slug=slug, executive=self["dana"],
            executive_title="Chief Customer Officer", intro="Ask about *anything*.",
            now=created or WHEN["scheduled"], **{k: v for k, v in values.items() if k != "title"},
        )

    def question(self, event: QAEvent, author: str, body: str = "Why is my bill higher this month?", **kw) -> Question:
        return services.submit_question(event, author=self[author], body=body, now=kw.get("now", WHEN["open"]))


@pytest.fixture
def build(app, people):
    """``with build() as b:``: service-layer writes, committed on exit."""

    @contextmanager
    def _build():
        with app.app_context():
            yield Builder(people)
            db.session.commit()
            db.session.remove()

    return _build


@pytest.fixture
def event(build):
    """A session in its question window (by the fake clock), with no questions."""
    with build() as b:
        e = b.event()
        return {"id": e.id, "slug": e.slug, "path": f"/ask/{e.slug}"}


@pytest.fixture
def login_as(auth, client, people):
    def _login(name: str):
        if "Sign out" in client.get("/").get_data(as_text=True):
            auth.logout()
        resp = auth.login(people[name]["username"])
        assert resp.status_code == 302, f"sign-in as {name} failed"
        return people[name]

    return _login
