"""Atom feeds of incident updates, built with feedgen."""

from __future__ import annotations

from feedgen.feed import FeedGenerator
from flask import current_app, url_for

from forum.models import Incident, IncidentUpdate
from forum.models.base import utcnow


def _entry_title(update: IncidentUpdate) -> str:
    return f"{update.incident.title}: {update.state_label}"


def build_feed(updates: list[IncidentUpdate], *, incident: Incident | None = None) -> bytes:
    brand = current_app.config["BRAND_NAME"]
    fg = FeedGenerator()
    if incident is not None:
        page = url_for("incidents.view_incident", incident_id=incident.id, _external=True)
        self_url = url_for("incidents.incident_feed", incident_id=incident.id, _external=True)
        fg.title(f"{incident.title} · {brand} status")
        fg.subtitle(f"Updates on the incident “{incident.title}”")
    else:
        page = url_for("incidents.status", _external=True)
        self_url = url_for("incidents.status_feed", _external=True)
        fg.title(f"{brand} service status")
        fg.subtitle("Updates on outages and incidents")
    fg.id(self_url)
    fg.link(href=page, rel="alternate")
    fg.link(href=self_url, rel="self")
    fg.author({"name": brand})
    fg.language("en")
    newest = max((u.edited_at or u.created_at for u in updates), default=None)
    fg.updated(newest or (incident.created_at if incident is not None else utcnow()))
    for update in reversed(updates):  # feedgen prepends: add oldest first, newest ends on top
        entry = fg.add_entry()
        entry.id(url_for("incidents.view_incident", incident_id=update.incident_id, _external=True, _anchor=f"u{update.id}"))
        entry.title(_entry_title(update))
        entry.link(href=url_for("incidents.view_incident", incident_id=update.incident_id, _external=True, _anchor=f"u{update.id}"))
        entry.published(update.created_at)
        entry.updated(update.edited_at or update.created_at)
        entry.author({"name": update.author.shown_name})
        entry.content(update.body_html, type="html")
    return fg.atom_str(pretty=True)
