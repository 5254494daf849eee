"""Surge readiness: the banner data, the topic-link map and the anonymous page cache.

All three live in the app's Flask-Caching store (SimpleCache per process by default,
Redis when ``FORUM_REDIS_URL`` is set). Incident writes invalidate them after commit;
the short timeouts bound staleness across processes.

Only anonymous requests with an empty-looking session (no flashed messages) are
served from or stored into the page cache, and only while an incident is open: a
signed-in member always gets a fresh render with their own header and state.
"""

from __future__ import annotations

import uuid
from functools import wraps

from flask import current_app, g, request, session
from flask_login import current_user
from sqlalchemy import select

from forum.aftercommit import after_commit
from forum.extensions import cache, db
from forum.pagecache import single_flight

BANNER_KEY = "incidents:open"
LINKS_KEY = "incidents:topic-links"
GENERATION_KEY = "incidents:generation"

#: Endpoints whose anonymous renders are cached while an incident is open.
CACHED_ENDPOINTS = ("topics.index", "incidents.status", "incidents.view_incident")
#: Endpoints that get a public Cache-Control for anonymous visitors (the pages above and the feeds).
PUBLIC_ENDPOINTS = (*CACHED_ENDPOINTS, "incidents.status_feed", "incidents.incident_feed")


def open_incidents() -> list[dict]:
    """The open incidents for the banner, newest first: one small query, cached briefly
    (every page shows the banner, so one worker refreshes it: single-flight)."""

    def load():
        from forum.models import Incident

        rows = db.session.execute(
            select(Incident.id, Incident.title, Incident.state, Incident.last_update_at)
            .where(Incident.state != "resolved")
            .order_by(Incident.id.desc())
            .limit(5)
        )
        return [{"id": r.id, "title": r.title, "state": r.state, "last_update_at": r.last_update_at} for r in rows]

    if "incidents_banner" not in g:  # once per request, however many templates ask
        g.incidents_banner = single_flight(BANNER_KEY, load, ttl=float(current_app.config["INCIDENT_BANNER_TTL"]))
    return g.incidents_banner


def topic_links() -> dict[int, dict]:
    """topic id -> the incident it is linked to, for the notice on topic pages."""
    def load():
        from forum.models import Incident, IncidentTopic

        rows = db.session.execute(
            select(IncidentTopic.topic_id, IncidentTopic.kind, Incident.id, Incident.title).join(
                Incident, Incident.id == IncidentTopic.incident_id
            )
        )
        return {r.topic_id: {"incident_id": r.id, "title": r.title, "kind": r.kind} for r in rows}

    return single_flight(LINKS_KEY, load, ttl=300)


def incident_link_for_topic(topic) -> dict | None:
    return topic_links().get(topic.id)


def invalidate_after_commit() -> None:
    """Drop the banner, the links and every cached page once the transaction commits."""
    app = current_app._get_current_object()

    def _invalidate():
        with app.app_context():
            cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=0)
            for key in (BANNER_KEY, LINKS_KEY):  # cachelib's Redis delete_many raises on a missing key
                cache.delete(key)

    after_commit(_invalidate)


def _page_key() -> str:
    generation = cache.get(GENERATION_KEY) or "0"
    return f"incidents:page:{generation}:{request.full_path}"


def _private_request() -> bool:
    """A signed-in member, or a visitor with a flashed message waiting: their render is
    theirs alone. Decided once, before the view runs (rendering pops the flashes)."""
    if "incidents_private" not in g:
        g.incidents_private = current_user.is_authenticated or "_flashes" in session
    return g.incidents_private


def bypass_page_cache() -> bool:
    """True when this request must be rendered fresh (and not stored)."""
    if request.method != "GET" or not current_app.config["INCIDENT_PAGE_CACHE"]:
        return True
    if _private_request():
        return True
    return not open_incidents()


def _cacheable(rv) -> bool:
    # Views return a plain string for a 200 page; tuples (status codes), redirects and
    # errors are never stored.
    return isinstance(rv, str)


def cached_page(app, view):
    """Cache ``view``'s anonymous renders, keyed by the incident generation; an expired
    render is refreshed by one worker while the others serve the stale copy
    (:func:`forum.pagecache.single_flight`)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if bypass_page_cache():
            return view(*args, **kwargs)
        return single_flight(_page_key(), lambda: view(*args, **kwargs),
                             ttl=float(current_app.config["INCIDENT_PAGE_TTL"]), cacheable=_cacheable)

    return wrapper


def set_cache_headers(response):
    """The core (forum/httpcache.py) decides public or private; while an incident is
    open a visitor's home and status pages (and the feeds, always) are kept only
    ``INCIDENT_PAGE_TTL`` seconds by a front proxy (they change fast). Runs after the core's hook (registered earlier, so called later)."""
    if request.endpoint not in PUBLIC_ENDPOINTS or request.method != "GET":
        return response
    live = request.endpoint not in CACHED_ENDPOINTS or open_incidents()
    if response.status_code == 200 and response.cache_control.public and live:
        response.headers["Cache-Control"] = f"public, max-age={current_app.config['INCIDENT_PAGE_TTL']}"
    return response
