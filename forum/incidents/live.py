"""Live incident pages: server-sent events at ``/status/<id>/events``.

After an update commits, :func:`publish_after_commit` renders its timeline entry once
(as a visitor sees it) and publishes ``{"id", "state", "state_label", "html"}`` on the
incident's channel: Redis pub/sub with ``FORUM_REDIS_URL`` (every host's open streams
get it), else an in-process broker (one host). A stream first sends the updates the
browser missed (``Last-Event-ID`` or ``?after=``; one query), then relays the channel
for ``LIVE_STREAM_SECONDS`` with a comment line every 10 s to keep proxies from
closing it, and ends; ``EventSource`` reconnects by itself after ``retry``. Bounded
streams keep a worker thread for at most that long (see docs/deploy.md: serve them
from gthread or gevent workers, never sync ones). The page works without JavaScript;
``forum/static/js/incident-live.js`` inserts new entries.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator

from flask import Flask, current_app, get_template_attribute, has_request_context

from forum import shared
from forum.aftercommit import after_commit

HEARTBEAT_SECONDS = 10
RETRY_MS = 3000
_LOCAL: dict[int, set[queue.Queue]] = {}
_LOCAL_GUARD = threading.Lock()


def channel(incident_id: int) -> str:
    return shared.key(f"incident-live:{incident_id}")


def render_entry(update) -> str:
    """The update's timeline entry as a visitor sees it (no staff tools)."""
    return str(get_template_attribute("incidents/_update.html", "render_update")(update, staff_tools=False))


def message(update) -> dict:
    return {"id": update.id, "state": update.state, "state_label": update.state_label, "html": render_entry(update)}


def publish_after_commit(update) -> None:
    """Publish ``update`` to open browsers once the transaction commits. The entry is
    rendered now, inside the transaction (after the commit the session emits no SQL);
    a rollback drops it unsent."""
    app = current_app._get_current_object()
    if has_request_context():
        data = message(update)
    else:  # the CLI or a job: links need a request context
        with app.test_request_context(base_url=app.config.get("SITE_URL") or "http://localhost"):
            data = message(update)
    incident_id = update.incident_id
    after_commit(lambda: publish(app, incident_id, data))


def publish(app: Flask, incident_id: int, data: dict) -> None:
    client = shared.redis_client(app)
    if client is not None:
        with app.app_context():
            client.publish(channel(incident_id), json.dumps(data))
        return
    with _LOCAL_GUARD:
        listeners = list(_LOCAL.get(incident_id, ()))
    for q in listeners:
        q.put_nowait(data)


def _format(data: dict) -> str:
    return f"id: {data['id']}\nevent: update\ndata: {json.dumps(data)}\n\n"


class Subscription:
    """One open page's subscription to an incident's channel, taken *before* the
    catch-up query so that nothing committed in between is lost."""

    def __init__(self, app: Flask, incident_id: int):
        self.incident_id = incident_id
        self.pubsub = None
        self.queue: queue.Queue | None = None
        client = shared.redis_client(app)
        if client is not None:
            with app.app_context():
                name = channel(incident_id)
            self.pubsub = client.pubsub(ignore_subscribe_messages=True)
            self.pubsub.subscribe(name)
        else:
            self.queue = queue.Queue()
            with _LOCAL_GUARD:
                _LOCAL.setdefault(incident_id, set()).add(self.queue)

    def next(self, timeout: float) -> dict | None:
        if self.pubsub is not None:
            return _redis_next(self.pubsub, timeout)
        return _queue_next(self.queue, timeout)

    def close(self) -> None:
        if self.pubsub is not None:
            self.pubsub.close()
            self.pubsub = None
        if self.queue is not None:
            with _LOCAL_GUARD:
                _LOCAL.get(self.incident_id, set()).discard(self.queue)
            self.queue = None


def stream(app: Flask, subscription: Subscription | None, missed: list[dict]) -> Iterator[str]:
    """The event stream: what was missed, then (with a subscription) the channel until
    ``LIVE_STREAM_SECONDS`` are up. The response closes the subscription."""
    seconds = float(app.config["LIVE_STREAM_SECONDS"])
    yield f"retry: {RETRY_MS}\n\n"
    for data in missed:
        yield _format(data)
    if subscription is None:
        return
    seen = {data["id"] for data in missed}
    deadline = time.monotonic() + seconds
    for chunk, data in _relay(subscription.next, deadline):
        if data is None or data["id"] not in seen:
            yield chunk


def _redis_next(pubsub, timeout: float) -> dict | None:
    msg = pubsub.get_message(timeout=timeout)
    if not msg or msg.get("type") != "message":
        return None
    try:
        data = json.loads(msg["data"])
    except (TypeError, ValueError):
        return None
    return data if isinstance(data, dict) and "id" in data else None


def _queue_next(q: queue.Queue, timeout: float) -> dict | None:
    try:
        return q.get(timeout=timeout)
    except queue.Empty:
        return None


def _relay(next_message, deadline: float) -> Iterator[tuple[str, dict | None]]:
    beat = time.monotonic() + HEARTBEAT_SECONDS
    while (now := time.monotonic()) < deadline:
        data = next_message(max(0.05, min(deadline, beat) - now))
        if data is not None:
            yield _format(data), data
        if time.monotonic() >= beat:
            yield ": keep-alive\n\n", None
            beat = time.monotonic() + HEARTBEAT_SECONDS
