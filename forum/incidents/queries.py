"""Read-side selects for the status pages. Each page runs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from forum.extensions import db
from forum.models import AffectedReport, Incident, IncidentFollow, IncidentTopic, IncidentUpdate, Topic
from forum.models.incidents import AREAS
from forum.pagination import Page

HISTORY_PER_PAGE = 20


def get_incident(incident_id: int) -> Incident | None:
    return db.session.get(Incident, incident_id)


def get_update(update_id: int) -> IncidentUpdate | None:
    return db.session.scalar(
        select(IncidentUpdate).where(IncidentUpdate.id == update_id).options(joinedload(IncidentUpdate.incident))
    )


def timeline(incident: Incident) -> list[IncidentUpdate]:
    """The incident's updates, newest first, with authors and earlier revisions."""
    return list(
        db.session.scalars(
            select(IncidentUpdate)
            .where(IncidentUpdate.incident_id == incident.id)
            .options(
                joinedload(IncidentUpdate.author),
                joinedload(IncidentUpdate.edited_by),
                selectinload(IncidentUpdate.revisions),
            )
            .order_by(IncidentUpdate.id.desc())
        )
    )


@dataclass
class AffectedCounts:
    total: int
    #: (area label, count), largest first; presses without an area come last as "Not given".
    by_area: list[tuple[str, int]]


def affected_counts(incident: Incident) -> AffectedCounts:
    rows = db.session.execute(
        select(AffectedReport.area, func.count(AffectedReport.id))
        .where(AffectedReport.incident_id == incident.id)
        .group_by(AffectedReport.area)
    ).all()
    total = sum(n for _, n in rows)
    named = sorted(((AREAS.get(area, area), n) for area, n in rows if area), key=lambda r: (-r[1], r[0]))
    unnamed = [("Not given", n) for area, n in rows if not area]
    return AffectedCounts(total, named + unnamed)


def linked_topics(incident: Incident) -> list[IncidentTopic]:
    return list(
        db.session.scalars(
            select(IncidentTopic)
            .where(IncidentTopic.incident_id == incident.id)
            .options(joinedload(IncidentTopic.topic).joinedload(Topic.author))
            .order_by(IncidentTopic.id)
        )
    )


def viewer_state(incident: Incident, user) -> dict:
    """The signed-in viewer's own state: whether they pressed "I'm affected" (and
    with which area) and whether they follow the incident. Never cached."""
    if not getattr(user, "is_authenticated", False):
        return {"affected": False, "area": None, "following": False}
    report = db.session.execute(
        select(AffectedReport.id, AffectedReport.area).where(
            AffectedReport.incident_id == incident.id, AffectedReport.user_id == user.id
        )
    ).first()
    following = db.session.scalar(
        select(IncidentFollow.id).where(IncidentFollow.incident_id == incident.id, IncidentFollow.user_id == user.id)
    )
    return {"affected": report is not None, "area": report.area if report else None, "following": following is not None}


def open_incident_list() -> list[Incident]:
    return list(
        db.session.scalars(
            select(Incident).where(Incident.state != "resolved").order_by(Incident.id.desc())
        )
    )


def past_incidents(page: int) -> Page:
    total = db.session.scalar(select(func.count(Incident.id)).where(Incident.state == "resolved")) or 0
    items = db.session.scalars(
        select(Incident)
        .where(Incident.state == "resolved")
        .order_by(Incident.created_at.desc(), Incident.id.desc())
        .limit(HISTORY_PER_PAGE)
        .offset((page - 1) * HISTORY_PER_PAGE)
    )
    return Page(list(items), page, HISTORY_PER_PAGE, total)


def recent_updates(limit: int = 50, incident: Incident | None = None) -> list[IncidentUpdate]:
    """The latest updates (of one incident, or all), for the Atom feeds."""
    stmt = select(IncidentUpdate).options(joinedload(IncidentUpdate.incident), joinedload(IncidentUpdate.author))
    if incident is not None:
        stmt = stmt.where(IncidentUpdate.incident_id == incident.id)
    return list(db.session.scalars(stmt.order_by(IncidentUpdate.id.desc()).limit(limit)))


#: The most a reconnecting live stream catches up on (older ones: reload the page).
MISSED_MAX = 50


def updates_after(incident: Incident, after_id: int) -> list[IncidentUpdate]:
    """Updates newer than ``after_id``, oldest first, for a reconnecting live stream."""
    return list(
        db.session.scalars(
            select(IncidentUpdate)
            .where(IncidentUpdate.incident_id == incident.id, IncidentUpdate.id > after_id)
            .options(joinedload(IncidentUpdate.author), selectinload(IncidentUpdate.revisions))
            .order_by(IncidentUpdate.id)
            .limit(MISSED_MAX)
        )
    )
