"""Reads for the admin pages: the endpoints and an endpoint's delivery log."""

from __future__ import annotations

from sqlalchemy import func, select

from forum.extensions import db
from forum.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from forum.pagination import Page


def endpoints() -> list[WebhookEndpoint]:
    return list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def switched_off() -> list[WebhookEndpoint]:
    """Endpoints the forum switched off after failures (the banner)."""
    return list(db.session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.is_active.is_(False), WebhookEndpoint.disabled_at.is_not(None))
        .order_by(WebhookEndpoint.disabled_at.desc())
    ))


def attempts_log(endpoint: WebhookEndpoint, *, page: int, per_page: int) -> Page:
    """The endpoint's attempts, newest first, each with its delivery (event, event id)."""
    total = db.session.scalar(select(func.count()).where(WebhookAttempt.endpoint_id == endpoint.id)) or 0
    rows = db.session.execute(
        select(WebhookAttempt, WebhookDelivery)
        .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
        .where(WebhookAttempt.endpoint_id == endpoint.id)
        .order_by(WebhookAttempt.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return Page(items=[tuple(r) for r in rows], page=page, per_page=per_page, total=total)


def pending_count(endpoint: WebhookEndpoint) -> int:
    return db.session.scalar(select(func.count()).where(
        WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.state == "pending")) or 0
