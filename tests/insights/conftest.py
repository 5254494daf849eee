"""A small forum with a fixed clock, for computing every insights figure by hand.

``NOW`` is Friday 20 March 2026, 12:00 UTC (London is on GMT until 29 March), so the
default period is 21 February to 20 March and the previous one 24 January to 20 February.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from forum.extensions import db
from forum.insights import rollups, views
from forum.models import (
    AffectedReport,
    CaseTransition,
    Category,
    Flag,
    FoundSurvey,
    Incident,
    IncidentUpdate,
    ModerationLogEntry,
    Post,
    SearchDeflection,
    SearchEvent,
    Topic,
)
from tests.topics.conftest import _fast_password_hashing, signed_in  # noqa: F401 - shared fixtures

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def t(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch):
    monkeypatch.setattr(views, "now", lambda: NOW)


class Forum:
    """Writes rows with explicit times (the services would stamp the real clock)."""

    def __init__(self):
        self.ids: dict[str, int] = {}

    def board(self, name: str, slug: str, position: int) -> Category:
        cat = Category(name=name, slug=slug, description="", position=position)
        db.session.add(cat)
        db.session.flush()
        return cat

    def topic(self, cat, author, title: str, body: str, at: datetime, *, state: str | None = "waiting") -> Topic:
        topic = Topic(category_id=cat.id, author_id=author, title=title, created_at=at, last_post_at=at, state=state,
                      waiting_since=at if state else None)
        db.session.add(topic)
        db.session.flush()
        db.session.add(Post(topic_id=topic.id, author_id=author, is_first=True, body=body, body_html=body, created_at=at))
        if state:
            self.move(topic, None, "waiting", "asked", author, at)
        db.session.flush()
        return topic

    def reply(self, topic, author, body: str, at: datetime) -> Post:
        post = Post(topic_id=topic.id, author_id=author, body=body, body_html=body, created_at=at)
        db.session.add(post)
        topic.reply_count += 1
        db.session.flush()
        return post

    def move(self, topic, frm, to, event, actor, at):
        db.session.add(CaseTransition(topic_id=topic.id, from_state=frm, to_state=to, event=event, actor_id=actor,
                                      created_at=at))
        topic.state = to


@pytest.fixture
def people(make_user):
    return {name: make_user(name, role=role) for name, role in (
        ("alice", "member"), ("bob", "member"), ("care", "staff"), ("care2", "staff"), ("boss", "admin"),
        ("mod", "moderator"), ("head", "executive"))}


@pytest.fixture
def forum(app, people):
    """The small forum of the hand computations (see test_figures.py)."""
    u = {k: v["id"] for k, v in people.items()}
    with app.app_context():
        f = Forum()
        a = f.board("Network & coverage", "network", 1)
        b = f.board("Billing", "billing", 2)
        # T1: Leeds, answered by bob after 30 min and by care after 2 h; official answer at 11:05.
        t1 = f.topic(a, u["alice"], "Leeds mast down", "Terrible signal, awful and useless.", t(3, 2, 9))
        f.reply(t1, u["bob"], "Same here.", t(3, 2, 9, 30))
        official = f.reply(t1, u["care"], "We are fixing the mast.", t(3, 2, 11))
        f.move(t1, "waiting", "answered", "staff_reply", u["care"], t(3, 2, 11))
        t1.official_answer_post_id, t1.official_marked_at, t1.official_marked_by_id = official.id, t(3, 2, 11, 5), u["care"]
        t1.satisfaction, t1.satisfaction_score, t1.satisfaction_at = "yes", 4, t(3, 3, 10)
        f.move(t1, "answered", "resolved", "said_yes", u["alice"], t(3, 3, 10))
        # T2: care after 20 min; alice accepts bob's reply a day later, then says No (reopened).
        t2 = f.topic(a, u["alice"], "Roaming charges Spain", "Great service usually, thanks.", t(3, 5, 10))
        f.reply(t2, u["care"], "Roaming is included.", t(3, 5, 10, 20))
        f.move(t2, "waiting", "answered", "staff_reply", u["care"], t(3, 5, 10, 20))
        f.reply(t2, u["bob"], "Check the roaming toggle.", t(3, 5, 10, 40))
        f.move(t2, "answered", "resolved", "accepted", u["alice"], t(3, 6, 10))
        t2.satisfaction, t2.satisfaction_at = "no", t(3, 7, 9)
        f.move(t2, "resolved", "reopened", "said_no", u["alice"], t(3, 7, 9))
        # T3 and T4: waiting, no replies (28 h and 30 min old at NOW).
        f.topic(b, u["bob"], "Bill too high", "Why is my bill high?", t(3, 19, 8))
        f.topic(b, u["alice"], "Leeds mast again", "Leeds mast.", t(3, 20, 11, 30))
        # T5, in the previous period: care after 4 h.
        t5 = f.topic(a, u["bob"], "Old question", "Hello.", t(2, 10, 9))
        f.reply(t5, u["care"], "Answer.", t(2, 10, 13))
        f.move(t5, "waiting", "answered", "staff_reply", u["care"], t(2, 10, 13))
        # T6: answered by care after 1 h.
        t6 = f.topic(a, u["alice"], "Voicemail Leeds", "Voicemail is broken.", t(3, 20, 9))
        f.reply(t6, u["care"], "Reset it.", t(3, 20, 10))
        f.move(t6, "waiting", "answered", "staff_reply", u["care"], t(3, 20, 10))
        # A staff announcement: not a help case, no facts.
        f.topic(a, u["care"], "Maintenance tonight", "Planned work.", t(3, 10, 8), state=None)
        # Moderation: two flags handled (2 h and 30 min), two log entries (one without a reason).
        db.session.add_all([
            Flag(post_id=official.id, user_id=u["bob"], reason="spam", created_at=t(3, 10, 10), resolved_at=t(3, 10, 12),
                 resolution="dismissed"),
            Flag(post_id=official.id, user_id=u["alice"], reason="spam", created_at=t(3, 11, 9), resolved_at=t(3, 11, 9, 30),
                 resolution="dismissed"),
            ModerationLogEntry(actor_id=u["mod"], action="hide_post", target_type="post", target_id=official.id,
                               reason="Spam link", created_at=t(3, 10, 12), topic_id=t1.id),
            ModerationLogEntry(actor_id=u["mod"], action="lock_topic", target_type="topic", target_id=t1.id,
                               reason=" ", created_at=t(3, 11, 9), topic_id=t1.id),
        ])
        # Incidents: opened 08:00 with its first update; reports at 08:30 and 09:00; updates at 10:00 and 11:00.
        inc = Incident(title="Leeds outage", severity="major", created_by_id=u["care"], created_at=t(3, 12, 8),
                       last_update_at=t(3, 12, 11))
        db.session.add(inc)
        db.session.flush()
        for at in (t(3, 12, 8), t(3, 12, 10), t(3, 12, 11)):
            db.session.add(IncidentUpdate(incident_id=inc.id, author_id=u["care"], state="investigating", body="x",
                                          body_html="x", created_at=at))
        db.session.add_all([AffectedReport(incident_id=inc.id, user_id=u["alice"], created_at=t(3, 12, 8, 30)),
                            AffectedReport(incident_id=inc.id, user_id=u["bob"], created_at=t(3, 12, 9))])
        # Search: 4 searches on the search page (1 opened a result, 1 found nothing), 1 suggestion search.
        for i, (query, results, clicked) in enumerate((("esim", 5, 1), ("esim", 5, None), ("esim", 5, None),
                                                      ("roaming", 0, None))):
            db.session.add(SearchEvent(key=f"k{i}", created_at=t(3, 10, 9, i), query=query, result_count=results,
                                       clicked_rank=clicked, clicked_doc="t1" if clicked else None))
        db.session.add(SearchEvent(key="k9", created_at=t(3, 10, 9), source="suggest", query="esim", result_count=3))
        db.session.add(SearchDeflection(day=date(2026, 3, 10), opens=4))
        for found in (True, True, True, False):
            db.session.add(FoundSurvey(topic_id=t1.id, category_id=a.id, found=found, created_at=t(3, 11, 10)))
        rollups.rollup(NOW)
        db.session.commit()
        f.ids.update(a=a.id, b=b.id, t1=t1.id, t2=t2.id, t6=t6.id, care=u["care"], incident=inc.id)
        db.session.remove()
        return f.ids


def since(base: datetime, **kw) -> datetime:
    return base + timedelta(**kw)
