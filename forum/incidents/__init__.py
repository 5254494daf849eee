"""Incident mode: a public status page with a timeline, a site-wide banner, "I'm
affected" reports, followers, duplicate deflection and an anonymous page cache."""

from flask import Blueprint

bp = Blueprint("incidents", __name__)


def _wire(state) -> None:
    """Jinja helpers for the banner, the new-topic deflection and the topic notice;
    the anonymous page cache around the home page and the status pages; honest
    Cache-Control headers."""
    from forum.incidents import caching
    from forum.models.incidents import AREAS, STATE_LABELS

    app = state.app
    app.jinja_env.globals.update(
        open_incidents=caching.open_incidents,
        incident_link_for_topic=caching.incident_link_for_topic,
        incident_state_labels=STATE_LABELS,
        incident_areas=AREAS,
    )
    for endpoint in caching.CACHED_ENDPOINTS:
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = caching.cached_page(app, app.view_functions[endpoint])
    app.after_request(caching.set_cache_headers)


from forum.incidents import views  # noqa: E402,F401

# Recorded after the views, so that their endpoints exist when the cache wraps them.
bp.record(_wire)

#: What the app factory registers for this feature.
blueprints = (bp,)
