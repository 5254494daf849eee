"""Incidents (outages) with their public timeline, followers, "I'm affected" reports and
linked topics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.topics import Topic
from forum.models.users import User

#: The states of an incident, in the order they usually happen.
INCIDENT_STATES = ("investigating", "identified", "monitoring", "resolved")
OPEN_STATES = ("investigating", "identified", "monitoring")
STATE_LABELS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
}
SEVERITIES = ("minor", "major", "critical")
SEVERITY_LABELS = {"minor": "Minor", "major": "Major", "critical": "Critical"}
#: The fixed list of areas a member may give when pressing "I'm affected".
AREAS = {
    "london": "London",
    "south-east": "South East England",
    "south-west": "South West England",
    "east": "East of England",
    "midlands": "Midlands",
    "north-west": "North West England",
    "north-east": "North East England",
    "yorkshire": "Yorkshire and the Humber",
    "wales": "Wales",
    "scotland": "Scotland",
    "northern-ireland": "Northern Ireland",
}


class Incident(db.Model):
    __tablename__ = "incidents"
    __table_args__ = (
        # The banner and the status page: open incidents (state != resolved), newest first.
        Index("ix_incidents_state_id", "state", "id"),
        # The status page history: newest first.
        Index("ix_incidents_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(150))
    #: Affected services or regions, free tags, comma separated ("2G, 3G, Scotland").
    tags: Mapped[str] = mapped_column(String(300), default="", server_default="")
    severity: Mapped[str] = mapped_column(String(20))
    #: One of :data:`INCIDENT_STATES`; the state of the latest update.
    state: Mapped[str] = mapped_column(String(20), default="investigating", server_default="investigating")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Time of the latest update, shown in the banner.
    last_update_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The final summary (what happened, what the brand will do), Markdown and HTML.
    summary: Mapped[str | None] = mapped_column(Text)
    summary_html: Mapped[str | None] = mapped_column(Text)

    created_by: Mapped[User] = relationship()

    @property
    def is_open(self) -> bool:
        return self.state != "resolved"

    @property
    def tag_list(self) -> list[str]:
        return [t for t in (s.strip() for s in self.tags.split(",")) if t]

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(self.severity, self.severity)

    def __repr__(self) -> str:
        return f"<Incident {self.id} {self.state} {self.title!r}>"


class IncidentUpdate(db.Model):
    """One timestamped update on the timeline. Never edited silently: a correction
    keeps the previous text as an :class:`IncidentUpdateRevision` and is marked."""

    __tablename__ = "incident_updates"
    __table_args__ = (Index("ix_incident_updates_incident_id_id", "incident_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The incident's state as set by this update.
    state: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when corrected; the page shows "corrected" and the earlier versions.
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revision_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    incident: Mapped[Incident] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    edited_by: Mapped[User | None] = relationship(foreign_keys=[edited_by_id])
    revisions: Mapped[list[IncidentUpdateRevision]] = relationship(
        order_by="IncidentUpdateRevision.id", back_populates="update"
    )

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


class IncidentUpdateRevision(db.Model):
    """An earlier text of a corrected update, with who corrected it and why."""

    __tablename__ = "incident_update_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("incident_updates.id"), index=True)
    #: The text as it was before this correction.
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    update: Mapped[IncidentUpdate] = relationship(back_populates="revisions")
    editor: Mapped[User] = relationship()


class IncidentFollow(db.Model):
    __tablename__ = "incident_follows"
    __table_args__ = (UniqueConstraint("incident_id", "user_id", name="uq_incident_follows_incident_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AffectedReport(db.Model):
    """One "I'm affected" press: by a member (``user_id``) or, when allowed, by an
    anonymous browser (``anon_key`` from a signed cookie). One per member or browser."""

    __tablename__ = "affected_reports"
    __table_args__ = (
        UniqueConstraint("incident_id", "user_id", name="uq_affected_reports_incident_user"),
        UniqueConstraint("incident_id", "anon_key", name="uq_affected_reports_incident_anon"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    anon_key: Mapped[str | None] = mapped_column(String(64))
    #: A key of :data:`AREAS`, or ``None`` when not given.
    area: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IncidentTopic(db.Model):
    """A topic linked to an incident: a member's report moved in by staff
    (``kind='report'``) or the published summary (``kind='summary'``)."""

    __tablename__ = "incident_topics"
    __table_args__ = (Index("ix_incident_topics_incident_id_id", "incident_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    #: A topic belongs to at most one incident.
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    linked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    incident: Mapped[Incident] = relationship()
    topic: Mapped[Topic] = relationship()
