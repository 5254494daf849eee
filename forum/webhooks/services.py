"""Webhook writes: endpoints, events recorded in the change's transaction, the delivery
job, retries with backoff, and switching off an endpoint that keeps failing.

Like every service these flush and never commit. :func:`record_event` runs inside the
transaction of the change (a signal receiver): the delivery rows and their jobs
(``forum.jobqueue.enqueue``) commit with it or vanish with its rollback.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from forum.actions import ActionError, Conflict, PermissionDenied
from forum.aftercommit import _STATE, transaction_state
from forum.extensions import db
from forum.jobqueue import enqueue, job, periodic
from forum.models import User, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from forum.models.base import utcnow
from forum.notify import notify
from forum.permissions import can_manage_webhooks
from forum.text import clean_line
from forum.webhooks import delivery
from forum.webhooks.events import CATALOGUE, PING

DELIVER = "webhooks.deliver"
_PENDING = "forum_webhook_events"
URL_MAX = 500
DESCRIPTION_MAX = 500


class WebhookError(ActionError):
    """A refused webhook change; the message is shown to the admin."""


def _require_admin(actor: User | None) -> None:
    if not can_manage_webhooks(actor):
        raise PermissionDenied("Only administrators manage webhooks.")


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _clean(url: str | None, description: str | None, events) -> tuple[str, str, list[str]]:
    url = (url or "").strip()
    if not url:
        raise WebhookError("Give the endpoint's URL.", field="url")
    if len(url) > URL_MAX:
        raise WebhookError(f"The URL is at most {URL_MAX} characters.", field="url")
    try:
        delivery.check_url(url, allow_private=current_app.config["WEBHOOKS_ALLOW_PRIVATE"])
    except delivery.UnsafeAddress as exc:
        raise WebhookError(str(exc), field="url") from exc
    description = clean_line(description, field="description", max_length=DESCRIPTION_MAX, error=WebhookError)
    chosen = list(dict.fromkeys(events or ()))
    unknown = [e for e in chosen if e not in CATALOGUE]
    if unknown or not chosen:
        raise WebhookError("Choose at least one event from the list.", field="events")
    return url, description, [e for e in CATALOGUE if e in chosen]


def create_endpoint(*, actor: User, url: str, description: str, events, is_active: bool = True) -> WebhookEndpoint:
    """Register an endpoint with a new secret."""
    _require_admin(actor)
    url, description, events = _clean(url, description, events)
    endpoint = WebhookEndpoint(url=url, description=description, events=events, secret=new_secret(),
                               is_active=bool(is_active), created_by_id=actor.id, created_at=utcnow())
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, *, actor: User, url: str, description: str, events,
                    is_active: bool) -> bool:
    """Change an endpoint. Switching it back on clears the failure count and resumes its
    pending deliveries. Returns whether anything changed."""
    _require_admin(actor)
    url, description, events = _clean(url, description, events)
    before = (endpoint.url, endpoint.description, list(endpoint.events or ()), endpoint.is_active)
    if before == (url, description, events, bool(is_active)):
        return False
    reactivated = bool(is_active) and not endpoint.is_active
    endpoint.url, endpoint.description, endpoint.events, endpoint.is_active = url, description, events, bool(is_active)
    if reactivated:
        endpoint.consecutive_failures = 0
        endpoint.disabled_at = endpoint.disabled_reason = None
        db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.state == "pending")
            .values(next_attempt_at=utcnow())
        )
    db.session.flush()
    return True


def rotate_secret(endpoint: WebhookEndpoint, *, actor: User) -> str:
    """A new secret; deliveries from now on (retries included) are signed with it."""
    _require_admin(actor)
    endpoint.secret = new_secret()
    db.session.flush()
    return endpoint.secret


# --- events -----------------------------------------------------------------------


def _body(event: str, event_id: str, data: dict, now: datetime) -> str:
    return json.dumps({"event": event, "event_id": event_id,
                       "occurred_at": now.isoformat().replace("+00:00", "Z"), "data": data},
                      separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _queue(endpoint: WebhookEndpoint, event: str, event_id: str, body: str, now: datetime) -> WebhookDelivery:
    row = WebhookDelivery(endpoint_id=endpoint.id, event=event, event_id=event_id, body=body, state="pending",
                          attempts=0, created_at=now)
    db.session.add(row)
    db.session.flush()
    _enqueue_attempt(row, 1)
    return row


def _enqueue_attempt(row: WebhookDelivery, attempt: int) -> None:
    # The job checks the delivery's attempt count, so a repeated job is harmless; the key
    # stays unique when a paused attempt is queued again after the endpoint is back on.
    enqueue(DELIVER, {"delivery_id": row.id, "attempt": attempt}, key=f"webhook:{row.id}:{attempt}:{uuid.uuid4().hex[:12]}")


def record_event(event: str, build: Callable[[], dict]) -> None:
    """Record ``event`` in the current transaction. ``build()`` gives its data at the
    commit (so it sees the transaction's final state, e.g. a new topic's case state);
    then each active endpoint that wants it gets a delivery row and a job, written in
    that same commit, all with one event id. A rollback drops everything."""
    transaction_state().setdefault(_PENDING, []).append((event, build, utcnow()))


@sa_event.listens_for(Session, "before_commit")
def _write_deliveries(session: Session) -> None:
    pending = session.info.get(_STATE, {}).pop(_PENDING, None)  # transaction_state() without opening one
    if not pending:
        return
    endpoints = list(session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.is_active.is_(True))))
    for event, build, occurred in pending:
        wanted = [e for e in endpoints if e.wants(event)]
        if not wanted:
            continue
        event_id = str(uuid.uuid4())
        body = _body(event, event_id, build(), occurred)
        for endpoint in wanted:
            _queue(endpoint, event, event_id, body, occurred)


def send_ping(endpoint: WebhookEndpoint, *, actor: User) -> WebhookDelivery:
    """Queue a ``ping`` to this endpoint alone (the "send test ping" button)."""
    _require_admin(actor)
    if not endpoint.is_active:
        raise Conflict("Switch the endpoint on before sending a test ping.")
    now = utcnow()
    event_id = str(uuid.uuid4())
    data = {"endpoint": {"id": endpoint.id}, "message": "Test ping from the forum's webhook settings."}
    return _queue(endpoint, PING, event_id, _body(PING, event_id, data, now), now)


# --- delivery ---------------------------------------------------------------------


def backoff(attempt: int) -> timedelta:
    """The wait after failed attempt ``attempt`` (1, 2, ...): base * 2**(n-1), at most a day."""
    base = float(current_app.config["WEBHOOKS_BACKOFF_SECONDS"])
    return timedelta(seconds=min(base * 2 ** max(attempt - 1, 0), 86400))


def headers_for(row: WebhookDelivery, secret: str, timestamp: str) -> dict[str, str]:
    return {
        "X-Forum-Event": row.event,
        "X-Forum-Event-Id": row.event_id,
        "X-Forum-Delivery": str(row.id),
        "X-Forum-Attempt": str(row.attempts + 1),
        "X-Forum-Timestamp": timestamp,
        "X-Forum-Signature": delivery.sign(secret, timestamp, row.body),
    }


@job(DELIVER)
def deliver(*, delivery_id: int, attempt: int, now: datetime | None = None) -> str:
    """Make attempt number ``attempt`` of a delivery, once: record it, then mark the
    delivery delivered, schedule the next attempt, or give up. A stale job (the attempt
    already made, the delivery finished) does nothing."""
    cfg = current_app.config
    row = db.session.get(WebhookDelivery, delivery_id)
    if row is None or row.state != "pending" or row.attempts != attempt - 1:
        return "skipped"
    endpoint = row.endpoint
    if not endpoint.is_active:
        row.next_attempt_at = None  # resumed when an admin switches the endpoint on again
        db.session.flush()
        return "paused"
    timestamp = str(int((now or utcnow()).timestamp()))
    result = delivery.post(endpoint.url, row.body, headers_for(row, endpoint.secret, timestamp),
                           timeout=float(cfg["WEBHOOKS_TIMEOUT"]), allow_private=bool(cfg["WEBHOOKS_ALLOW_PRIVATE"]),
                           excerpt_chars=int(cfg["WEBHOOKS_EXCERPT_CHARS"]))
    finished = now or utcnow()
    row.attempts = attempt
    db.session.add(WebhookAttempt(delivery_id=row.id, endpoint_id=endpoint.id, number=attempt,
                                  status_code=result.status_code, ok=result.ok, response_excerpt=result.excerpt,
                                  error=result.error, duration_ms=result.duration_ms, created_at=finished))
    if result.ok:
        row.state, row.delivered_at, row.next_attempt_at = "delivered", finished, None
        db.session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id)
                           .values(consecutive_failures=0))
        db.session.flush()
        return "delivered"
    if attempt >= int(cfg["WEBHOOKS_MAX_ATTEMPTS"]):
        row.state, row.next_attempt_at = "failed", None
    else:
        row.next_attempt_at = finished + backoff(attempt)
    failures = db.session.execute(
        update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id)
        .values(consecutive_failures=WebhookEndpoint.consecutive_failures + 1)
        .returning(WebhookEndpoint.consecutive_failures)
    ).scalar_one()
    db.session.flush()
    if failures >= int(cfg["WEBHOOKS_DISABLE_AFTER"]):
        switch_off(endpoint, failures=failures, now=finished)
    return row.state if row.state == "failed" else "retry"


def switch_off(endpoint: WebhookEndpoint, *, failures: int, now: datetime | None = None) -> bool:
    """Switch off a failing endpoint (once) and tell every administrator."""
    reason = f"Switched off after {failures} failed attempts in a row."
    switched = db.session.execute(
        update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id, WebhookEndpoint.is_active.is_(True))
        .values(is_active=False, disabled_at=now or utcnow(), disabled_reason=reason)
        .returning(WebhookEndpoint.id)
    ).first() is not None
    db.session.refresh(endpoint)
    if not switched:
        return False
    admins = list(db.session.scalars(select(User.id).where(User.role == "admin")))
    notify(admins, kind="webhook_disabled", url=f"/admin/webhooks/{endpoint.id}", category="other",
           text=f"Webhook endpoint #{endpoint.id} was switched off: {failures} failed deliveries in a row.")
    return True


def retry_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Queue the next attempt of every pending delivery that is due (active endpoints
    only), and delete finished deliveries older than ``WEBHOOKS_KEEP_DAYS``."""
    now = now or utcnow()
    query = (
        select(WebhookDelivery).join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= now,
               WebhookEndpoint.is_active.is_(True))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
    rows = list(db.session.scalars(query))
    for row in rows:
        row.next_attempt_at = None  # claimed: the job below makes the attempt
        _enqueue_attempt(row, row.attempts + 1)
    keep = now - timedelta(days=int(current_app.config["WEBHOOKS_KEEP_DAYS"]))
    db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.state != "pending", WebhookDelivery.created_at < keep))
    db.session.flush()
    return len(rows)


@periodic("webhooks.retry")
def _retry_periodic() -> int:
    return retry_due()
