"""``forum demo`` seeds one past, resolved incident with a realistic timeline."""

from __future__ import annotations

from sqlalchemy import select

from forum.extensions import db
from forum.models import AffectedReport, Incident, IncidentTopic, IncidentUpdate
from tests.topics.dom import page


def test_demo_seeds_a_resolved_incident(app, runner, client):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        incidents = db.session.scalars(select(Incident)).all()
        assert len(incidents) == 1
        incident = incidents[0]
        assert incident.state == "resolved"
        assert incident.summary
        updates = db.session.scalars(
            select(IncidentUpdate).where(IncidentUpdate.incident_id == incident.id).order_by(IncidentUpdate.created_at)
        ).all()
        assert [u.state for u in updates] == ["investigating", "identified", "monitoring", "resolved"]
        assert updates[0].created_at < updates[-1].created_at == incident.resolved_at
        assert len(db.session.scalars(select(AffectedReport)).all()) == 4
        assert db.session.scalar(select(IncidentTopic.kind)) == "summary"
        iid = incident.id
    # No banner (the incident is over); it is listed in the history.
    home = page(client.get("/"))
    assert home.find(id="incident-banner") is None
    status = page(client.get("/status"))
    assert "All services are running normally." in status.text
    assert any(a.get("href") == f"/status/{iid}" for a in status.find_all("a"))
    # Running it again changes nothing.
    assert "already seeded" in runner.invoke(args=["demo"]).output
