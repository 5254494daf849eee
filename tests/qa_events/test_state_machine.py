"""The session state machine on a fake clock: windows, manual moves, records, tick."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Notification, QAEvent, QAEventTransition
from forum.qa_events import services
from tests.qa_events.conftest import T0, WHEN, WINDOWS


def _transitions(event_id):
    return [(t.from_state, t.to_state, t.actor_id is None) for t in db.session.scalars(
        select(QAEventTransition).where(QAEventTransition.event_id == event_id).order_by(QAEventTransition.id))]


@pytest.mark.parametrize("state", list(WHEN))
def test_windows_give_the_state(app, build, state):
    with build() as b:
        event = b.event()
        assert event.state == "scheduled"
        assert services.effective_state(event, WHEN[state]) == state


def test_tick_follows_the_clock_and_records_each_transition(app, build, clock):
    with build() as b:
        event_id = b.event().id
    with app.app_context():
        seen = []
        for state in ("scheduled", "open", "live", "answered", "archived"):
            clock.set(state)
            services.tick()
            db.session.commit()
            seen.append(db.session.get(QAEvent, event_id).state)
        assert seen == ["scheduled", "open", "live", "answered", "archived"]
        assert _transitions(event_id) == [
            ("scheduled", "open", True), ("open", "live", True), ("live", "answered", True), ("answered", "archived", True),
        ]
        # Ticking again changes nothing and records nothing.
        assert services.tick() == []
        assert len(_transitions(event_id)) == 4


def test_a_late_tick_jumps_to_the_current_state(app, build, clock):
    with build() as b:
        event_id = b.event().id
    with app.app_context():
        moved = services.tick(now=WHEN["answered"])
        db.session.commit()
        assert [s for _, s in moved] == ["answered"]
        assert _transitions(event_id) == [("scheduled", "answered", True)]


def test_staff_move_by_hand_until_the_next_boundary(app, build, people):
    with build() as b:
        event = b.event()
        # Staff open questions early, before the window.
        assert services.open_event(event, actor=b["priya"], reason="Opening early", now=T0 - timedelta(minutes=30))
        assert event.state == "open"
        assert services.effective_state(event, T0 - timedelta(minutes=10)) == "open"
        # Live starts at its time; staff then hold it back to "open" for a delay ...
        assert services.effective_state(event, WHEN["live"]) == "live"
        services.transition(event, "open", actor=b["priya"], reason="Dana is running late", now=WHEN["live"])
        assert event.state == "open"
        # ... and the clock respects that until the next boundary (the end of the live hour).
        assert services.effective_state(event, WHEN["live"] + timedelta(minutes=20)) == "open"
        assert services.effective_state(event, WINDOWS["live_ends_at"]) == "answered"
        rows = db.session.scalars(select(QAEventTransition).where(QAEventTransition.event_id == event.id)
                                  .order_by(QAEventTransition.id)).all()
        assert [(r.from_state, r.to_state, r.actor_id, r.reason) for r in rows] == [
            ("scheduled", "open", people["priya"]["id"], "Opening early"),
            ("open", "live", None, "Scheduled time reached"),
            ("live", "open", people["priya"]["id"], "Dana is running late"),
        ]


def test_the_clock_never_moves_a_session_backwards(app, build):
    with build() as b:
        event = b.event()
        services.close_event(event, actor=b["priya"], reason="Cancelled", now=WHEN["open"])
        assert event.state == "answered"
        # The live boundary passes later, but the session stays closed.
        assert services.effective_state(event, WHEN["live"]) == "answered"
        assert services.apply_clock(event, WHEN["live"]) is None


def test_manual_transition_to_the_same_state_changes_nothing(app, build):
    with build() as b:
        event = b.event(created=WHEN["open"])
        assert event.state == "open"
        assert services.transition(event, "open", actor=b["priya"], now=WHEN["open"]) is False


@pytest.mark.parametrize("name", ["ann", "sam", "dana"])
def test_only_staff_move_sessions(app, build, name):
    with build() as b:
        event = b.event()
        with pytest.raises(services.PermissionDenied):
            services.transition(event, "live", actor=b[name])


def test_going_live_notifies_subscribers_once(app, build, clock, people):
    with build() as b:
        event = b.event()
        q = b.question(event, "ann")
        services.vote(q, voter=b["bob"], now=WHEN["open"])
        services.remind_me(event, user=b["cy"], now=WHEN["open"])
        event_id = event.id
    with app.app_context():
        clock.set("live")
        services.tick()
        db.session.commit()
        services.tick()
        db.session.commit()
        notes = db.session.scalars(select(Notification).where(Notification.kind == "qa_live")).all()
        assert sorted(n.user_id for n in notes) == sorted(people[n]["id"] for n in ("ann", "bob", "cy"))
        assert all(n.url == "/ask/ask-dana" and "is live now" in n.text for n in notes)
        assert db.session.get(QAEvent, event_id).state == "live"


def test_cli_tick(app, build, runner, clock):
    with build() as b:
        b.event()
    clock.set("live")
    result = runner.invoke(args=["qa-events", "tick"])
    assert result.exit_code == 0, result.output
    assert "ask-dana: now live." in result.output
    result = runner.invoke(args=["qa-events", "close-expired"])
    assert "No session changed state." in result.output
    clock.set("answered")
    assert "ask-dana: now answered." in runner.invoke(args=["qa-events", "close-expired"]).output


def test_manual_transition_through_the_page(app, client, event, login_as, post_form):
    login_as("priya")
    resp = post_form(f"{event['path']}/transition", {"to_state": "live", "reason": "Starting"}, token_from=event["path"])
    assert resp.status_code == 303
    page = client.get(event["path"]).get_data(as_text=True)
    assert 'id="qa-state">Live<' in page
    assert "The session is now live." in page
    resp = post_form(f"{event['path']}/transition", {"to_state": "nonsense"}, token_from=event["path"])
    assert resp.status_code == 400
