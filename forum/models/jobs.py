"""The job outbox (forum.jobqueue): one row per background job, written in the same
transaction as the change it follows, relayed to the queue after the commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow


class JobOutbox(db.Model):
    """A job: its task name and JSON payload. ``key`` names the event (unique), so an
    event enqueues at most one job; ``done_at`` is the done-marker the task sets in its
    own transaction, so a retried or redelivered job never runs its work twice."""

    __tablename__ = "job_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The registered task (``forum.jobqueue.job``), e.g. ``mail.send``.
    task: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    #: The event this job is about; unique.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Handed to the queue (or run in-process) at this time; NULL: still to relay.
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Failed runs so far.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Given up after ``JOBS_MAX_ATTEMPTS`` failures (a dead letter); an admin may retry it.
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # The sweep's "still to relay or stuck" scan and the dead-letter page.
        Index("ix_job_outbox_open", "done_at", "dead_at", "relayed_at"),
        Index("ix_job_outbox_dead_at", "dead_at"),
    )

    @property
    def state(self) -> str:
        if self.done_at is not None:
            return "done"
        if self.dead_at is not None:
            return "dead"
        return "relayed" if self.relayed_at is not None else "pending"
