"""Cached renders with single-flight refresh.

:func:`single_flight` keeps ``{"value", "fresh_until"}`` in the Flask-Caching store
(Redis with ``FORUM_REDIS_URL``, so every host shares it). When the value is stale, one
worker takes a short lock (:func:`forum.shared.try_lock`: Redis ``SET NX`` with a TTL,
an in-process lock without Redis) and recomputes it; the others serve the stale copy,
or, when there is none yet, wait briefly for the winner before computing it
themselves. An expired key therefore sends one worker to the database, not all.

:func:`reader_page` applies it to the pages readers load most while the forum is
overloaded (:mod:`forum.overload`): everybody, signed in or not, gets the anonymous
render, marked as such for signed-in members.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, request, session
from markupsafe import Markup

from forum.extensions import cache
from forum.shared import try_lock

#: A stale copy is kept this many times its freshness, to serve while one worker refreshes.
STALE_FACTOR = 4
#: How long a worker without a copy waits for the one refreshing it (seconds, in steps).
WAIT_SECONDS = 1.0
WAIT_STEP = 0.05
#: Replaced in cached reader pages by the notice a signed-in member sees.
BUSY_MARK = "<!--forum:busy-notice-->"


def single_flight(key: str, compute: Callable[[], Any], *, ttl: float, cacheable: Callable[[Any], bool] = lambda v: True):
    """``compute()``'s value, cached under ``key`` for ``ttl`` seconds, refreshed by one
    worker at a time. Values ``cacheable`` refuses are returned and not stored."""
    entry = cache.get(key)
    now = time.time()
    if isinstance(entry, dict) and entry.get("fresh_until", 0) > now:
        return entry["value"]
    lock_ttl = float(current_app.config.get("SINGLE_FLIGHT_LOCK_SECONDS", 5))
    with try_lock(key, ttl=lock_ttl) as held:
        if held:
            value = compute()
            if cacheable(value):
                cache.set(key, {"value": value, "fresh_until": time.time() + ttl},
                          timeout=max(1, int(ttl * STALE_FACTOR)))
            return value
    if isinstance(entry, dict):
        return entry["value"]  # stale, while another worker refreshes it
    deadline = now + WAIT_SECONDS
    while time.time() < deadline:
        time.sleep(WAIT_STEP)
        entry = cache.get(key)
        if isinstance(entry, dict):
            return entry["value"]
    return compute()


def reader_page(view):
    """While the forum is overloaded, serve the view's anonymous render from the shared
    cache (single-flight), to visitors and signed-in members alike."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        from forum import overload

        if request.method != "GET" or not overload.is_overloaded() or "_flashes" in session:
            return view(*args, **kwargs)
        overload.serve_as_visitor()
        ttl = float(current_app.config["OVERLOAD_PAGE_TTL"])
        value = single_flight(f"reader:{request.full_path}", lambda: view(*args, **kwargs), ttl=ttl,
                              cacheable=lambda v: isinstance(v, str))
        return mark_for_member(value)

    return wrapper


def mark_for_member(value):
    """A cached visitor's page served to a signed-in member: add the notice saying so."""
    if isinstance(value, str) and g.get("forum_signed_in_reader"):
        return value.replace(BUSY_MARK, str(busy_notice()), 1)
    return value


def busy_notice() -> Markup:
    from flask import render_template

    return Markup(render_template("_partials/busy_notice.html"))  # noqa: S704 - our autoescaped template
