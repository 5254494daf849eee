"""Outgoing webhooks (forum.webhooks): endpoints admins register, one delivery per
event and endpoint (written in the event's transaction), and one attempt row per
HTTP request made for it (the delivery log)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow

#: Delivery states: still to send (or to retry), sent (a 2xx), given up.
DELIVERY_STATES = ("pending", "delivered", "failed")


class WebhookEndpoint(db.Model):
    """A receiver's URL, the events it wants and the secret its deliveries are signed with."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    #: Plain text written by an admin (escaped wherever it is shown).
    description: Mapped[str] = mapped_column(String(500), default="", server_default="")
    #: Event names from ``forum.webhooks.events.CATALOGUE``.
    events: Mapped[list] = mapped_column(JSON, default=list)
    #: The HMAC key; kept in clear because every delivery is signed with it. Shown to
    #: admins only, on request.
    secret: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    #: Failed attempts in a row (any delivery); a success sets it back to 0.
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Set when the forum switched the endpoint off after too many failures.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def wants(self, event: str) -> bool:
        return self.is_active and event in (self.events or ())


class WebhookDelivery(db.Model):
    """One event for one endpoint. ``body`` is the exact JSON sent on every attempt, so
    the event id and the payload never change between retries."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(36))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default="pending", server_default="pending")
    #: Attempts made so far.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: When the next attempt is due (NULL: queued now, or nothing more to do).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    endpoint: Mapped[WebhookEndpoint] = relationship()

    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        # The retry sweep: pending deliveries whose next attempt is due.
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
    )


class WebhookAttempt(db.Model):
    """One HTTP request of a delivery: what came back (or the error) and how long it took."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    #: Denormalised for the per-endpoint log (newest first, one index).
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    #: The response's status, or NULL when no response came (refused, timeout, ...).
    status_code: Mapped[int | None] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: The start of the response body (text, shown escaped), or the error.
    response_excerpt: Mapped[str] = mapped_column(Text, default="", server_default="")
    error: Mapped[str | None] = mapped_column(String(300))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    delivery: Mapped[WebhookDelivery] = relationship()

    __table_args__ = (Index("ix_webhook_attempts_endpoint", "endpoint_id", "id"),)
