"""Overload protection: how long did this request wait in the queue?

The load balancer stamps each request with when it arrived (``X-Request-Start``, as
nginx's ``proxy_set_header X-Request-Start "t=${msec}"`` or HAProxy's
``http-request set-header X-Request-Start t=%[date(0,ms)]`` do); the worker compares it
with its own clock when it picks the request up. At ``OVERLOAD_QUEUE_MS`` or more the
request is *overloaded*, and the forum sheds the expensive parts:

* reader pages (home, boards, topics, status pages) come from the shared cache
  (:func:`forum.pagecache.reader_page`): signed-in members get the anonymous render,
  marked as such, instead of their own;
* search answers from its cache of recent queries, or says "Search is busy" with 503
  and ``Retry-After`` (``forum/search/views.py``);
* writes (POSTs) go through as usual.

A header that does not parse, lies in the future or claims more than an hour is
ignored. A client that forges it only degrades its own request.
"""

from __future__ import annotations

import re
import time

from flask import Flask, current_app, g, request, session

HEADER = "X-Request-Start"
_VALUE = re.compile(r"^\s*(?:t=)?(\d{1,20}(?:\.\d{1,9})?)\s*$")
#: Anything above this many milliseconds is a wrong clock or a forged header, not a queue.
MAX_PLAUSIBLE_MS = 3_600_000
#: A small negative wait is clock skew between the balancer and the host.
SKEW_MS = 1_000


def parse_queue_ms(raw: str | None, now: float | None = None) -> float | None:
    """Milliseconds between the balancer's stamp ``raw`` and ``now`` (seconds since the
    epoch); ``None`` for a missing or implausible header. The stamp may be in seconds
    (``1700000000.123``), milliseconds or microseconds, with or without ``t=``."""
    if not raw or len(raw) > 40:
        return None
    match = _VALUE.match(raw)
    if not match:
        return None
    value = float(match.group(1))
    if value >= 1e14:
        seconds = value / 1e6
    elif value >= 1e11:
        seconds = value / 1e3
    else:
        seconds = value
    waited = ((time.time() if now is None else now) - seconds) * 1000
    if waited < -SKEW_MS or waited > MAX_PLAUSIBLE_MS:
        return None
    return max(waited, 0.0)


def queue_ms() -> float | None:
    """This request's measured queue time (``None``: not measured)."""
    return g.get("forum_queue_ms")


def is_overloaded() -> bool:
    threshold = current_app.config.get("OVERLOAD_QUEUE_MS") or 0
    waited = queue_ms()
    return bool(threshold) and waited is not None and waited >= float(threshold)


def serve_as_visitor() -> None:
    """Render this request as a visitor would see it (the shared, cacheable page),
    without even loading a signed-in member's account; remembered for the notice."""
    from flask_login import AnonymousUserMixin

    if "_user_id" in session or request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")):
        g.forum_signed_in_reader = True
    manager = getattr(current_app, "login_manager", None)
    g._login_user = manager.anonymous_user() if manager else AnonymousUserMixin()
    g.forum_serving_as_visitor = True


def _measure() -> None:
    g.forum_queue_ms = parse_queue_ms(request.headers.get(HEADER))


def _mark(response):
    if is_overloaded():
        response.headers["X-Forum-Overloaded"] = "1"
    return response


def busy_mark():
    """In a visitor's render (the one the shared caches keep): the place where a
    signed-in member served that copy while overloaded gets the "you are seeing the
    public version" notice. An HTML comment, invisible to visitors."""
    from flask_login import current_user
    from markupsafe import Markup

    from forum.pagecache import BUSY_MARK

    return "" if current_user.is_authenticated else Markup(BUSY_MARK)  # noqa: S704 - a constant


def register_overload(app: Flask) -> None:
    app.before_request(_measure)
    app.after_request(_mark)
    app.jinja_env.globals["busy_mark"] = busy_mark
