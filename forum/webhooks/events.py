"""The event catalogue, the payload of each event, and the signal receivers that
record events in the transaction of the change.

A payload is small and public: ids, titles, states and URLs on the site. Never a
member's email, a post's body or anything from a private conversation; the events
about a private case carry ids only.
"""

from __future__ import annotations

from flask import current_app

from forum import signals
from forum.models.cases import ANSWERED, REOPENED, RESOLVED

#: name -> what it means (the admin form's choices and the docs).
CATALOGUE = {
    "topic.created": "A member or staff started a topic.",
    "post.created": "A reply was posted in a topic.",
    "topic.answered": "Customer Care answered a help topic (a staff reply or an official answer).",
    "topic.resolved": "A help topic was resolved (solution accepted, the asker said yes, staff or the clock resolved it).",
    "topic.reopened": "A resolved help topic was reopened (the asker wrote again or said no).",
    "case.escalated": "Customer Care continued a topic in a private case with the asker (ids only).",
    "incident.opened": "An incident (outage) was opened on the status page.",
    "incident.updated": "An incident got a new update.",
    "incident.resolved": "An incident was resolved.",
    "content.flagged": "A member flagged a post for moderators.",
}
#: The test ping an admin sends from the endpoint's page (not subscribable).
PING = "ping"

_STATE_EVENTS = {ANSWERED: "topic.answered", RESOLVED: "topic.resolved", REOPENED: "topic.reopened"}


def site_url(path: str) -> str:
    return current_app.config["SITE_URL"].rstrip("/") + path


def topic_data(topic) -> dict:
    return {
        "id": topic.id,
        "title": topic.title,
        "url": site_url(f"/t/{topic.id}-{topic.slug}"),
        "board": topic.category.slug if topic.category is not None else None,
        "state": topic.state,
        "author": topic.author.username if topic.author is not None else None,
    }


def post_data(post) -> dict:
    return {
        "id": post.id,
        "url": site_url(f"/p/{post.id}"),
        "author": post.author.username if post.author is not None else None,
        "by_staff": bool(post.author is not None and post.author.is_staff),
    }


def incident_data(incident, update=None) -> dict:
    data = {
        "id": incident.id,
        "title": incident.title,
        "state": incident.state,
        "severity": incident.severity,
        "url": site_url(f"/status/{incident.id}"),
    }
    if update is not None:  # the state this update set (a later one may follow in the same commit)
        data["state"], data["update_id"] = update.state, update.id
    return data


# --- receivers: each records the event in the current transaction ----------------------


def _record(event: str, build) -> None:
    from forum.webhooks import services

    services.record_event(event, build)


@signals.topic_created.connect
def _topic_created(topic, **kwargs) -> None:
    _record("topic.created", lambda: {"topic": topic_data(topic)})


@signals.post_created.connect
def _post_created(post, **kwargs) -> None:
    if post.is_first:  # the opening post is topic.created
        return
    _record("post.created", lambda: {"topic": topic_data(post.topic), "post": post_data(post)})


@signals.topic_state_changed.connect
def _topic_state_changed(topic, *, from_state=None, to_state=None, event=None, **kwargs) -> None:
    name = _STATE_EVENTS.get(to_state)
    if name is not None:
        _record(name, lambda: {"topic": {**topic_data(topic), "state": to_state}, "from_state": from_state,
                               "cause": event})


@signals.case_escalated.connect
def _case_escalated(topic, *, conversation=None, **kwargs) -> None:
    ids = {"topic": {"id": topic.id}, "case": {"id": conversation.id if conversation is not None else None}}
    _record("case.escalated", lambda: ids)


@signals.incident_opened.connect
def _incident_opened(incident, *, update=None, **kwargs) -> None:
    _record("incident.opened", lambda: {"incident": incident_data(incident, update)})


@signals.incident_updated.connect
def _incident_updated(incident, *, update=None, **kwargs) -> None:
    _record("incident.updated", lambda: {"incident": incident_data(incident, update)})


@signals.incident_resolved.connect
def _incident_resolved(incident, *, update=None, **kwargs) -> None:
    _record("incident.resolved", lambda: {"incident": incident_data(incident, update)})


@signals.post_flagged.connect
def _post_flagged(post, *, flag=None, **kwargs) -> None:
    # Who flagged it and their note stay with the moderators.
    data = {"post": {"id": post.id, "url": site_url(f"/p/{post.id}")}, "topic": {"id": post.topic_id},
            "flag": {"id": flag.id, "reason": flag.reason}}
    _record("content.flagged", lambda: data)
