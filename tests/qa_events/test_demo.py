"""``forum demo`` seeds one past session with answers and one upcoming session."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Answer, QAEvent, Question


@pytest.fixture(autouse=True)
def clock():
    """The demo is seeded relative to the real time."""
    return None


def test_demo_seeds_sessions(app, runner, client):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        events = {e.slug: e for e in db.session.scalars(select(QAEvent))}
        past, upcoming = events["ask-dana-coverage-billing"], events["ask-dana-5g"]
        assert past.state == "archived"
        assert upcoming.state == "scheduled"
        assert past.executive.username == "dana.hayes"
        answered = db.session.scalars(select(Question).where(Question.event_id == past.id, Question.status == "answered")).all()
        assert len(answered) >= 2
        assert db.session.scalar(select(Answer).where(Answer.kind == "follow_up")) is not None
    page = client.get("/ask").get_data(as_text=True)
    assert "Ask Dana: 5G roll-out" in page
    assert "Ask Dana: coverage and billing" in page
    archive = client.get("/ask/ask-dana-coverage-billing").get_data(as_text=True)
    assert "answered by" in archive
    assert "Head of Customer Care" in archive
