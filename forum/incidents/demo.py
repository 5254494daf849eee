"""``forum demo``: one past, resolved incident with a realistic timeline."""

from __future__ import annotations

from datetime import timedelta

from forum.extensions import db
from forum.incidents import services
from forum.models import User
from forum.models.base import utcnow

TIMELINE = [
    # (minutes after opening, author, state, body)
    (0, "care.priya", "investigating",
     "We're aware that some customers in **Scotland and the North East** have no 2G or 3G service. "
     "4G data is working. Our engineers are investigating; next update within 30 minutes."),
    (35, "care.tom", "identified",
     "We've found the cause: a hardware fault at one of our core network sites in Glasgow. "
     "Engineers are on their way to replace the faulty card. Calls over **Wi-Fi Calling** still work."),
    (110, "care.priya", "monitoring",
     "The card has been replaced and service is coming back. Some phones may need a restart "
     "(or flight mode on and off) to reconnect. We're monitoring closely."),
]

SUMMARY = (
    "**What happened:** on the morning of the incident a line card failed at a core network site in Glasgow. "
    "For about two hours some customers in Scotland and the North East had no 2G/3G service (calls and texts); "
    "4G data kept working.\n\n"
    "**What we're doing:** we've added a hot spare to that site so a single card failure switches over "
    "automatically, and we're checking the same hardware at our other core sites. Customers who were affected "
    "will see a one-day credit on their next bill."
)


def seed_incidents(users: dict[str, User]) -> None:
    """Seed a past incident (opened three days ago, resolved three hours later),
    with affected reports and a summary published in Announcements."""
    start = utcnow() - timedelta(days=3)
    first = TIMELINE[0]
    incident = services.open_incident(
        actor=users[first[1]], title="No 2G/3G service in parts of Scotland and the North East",
        tags="2G, 3G, calls, texts, Scotland, North East", severity="major", body=first[3],
    )
    incident.created_at = incident.last_update_at = start
    db.session.flush()
    updates = [services.post_update(incident, actor=users[a], state=s, body=b) for _, a, s, b in TIMELINE[1:]]
    for (minutes, *_), update in zip(TIMELINE[1:], updates, strict=True):
        update.created_at = start + timedelta(minutes=minutes)
    for member, area in (("jess_k", "scotland"), ("marco.r", "north-east"), ("niamh.d", "scotland"), ("ravi.travels", None)):
        services.report_affected(incident, user=users[member], area=area)
    resolved = services.resolve_incident(incident, actor=users["dana.hayes"], summary=SUMMARY)
    resolved.created_at = incident.resolved_at = incident.last_update_at = start + timedelta(minutes=185)
    db.session.flush()
    opening = min(incident_updates(incident), key=lambda u: u.id)
    opening.created_at = start
    topic = services.publish_summary(incident, actor=users["dana.hayes"])
    topic.created_at = topic.last_post_at = start + timedelta(minutes=200)
    db.session.flush()


def incident_updates(incident):
    from sqlalchemy import select

    from forum.models import IncidentUpdate

    return db.session.scalars(select(IncidentUpdate).where(IncidentUpdate.incident_id == incident.id))
