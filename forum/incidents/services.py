"""Incident writes. Services validate, check permissions, write and flush; the caller
commits. Followers are notified and caches invalidated only after the commit."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from forum import actions, markup, signals
from forum.admin.services import create_category
from forum.audit import record_staff_action
from forum.extensions import db
from forum.incidents import live
from forum.incidents.caching import invalidate_after_commit
from forum.models import (
    AffectedReport,
    Category,
    Incident,
    IncidentFollow,
    IncidentTopic,
    IncidentUpdate,
    IncidentUpdateRevision,
    Topic,
    User,
)
from forum.models.base import utcnow
from forum.models.incidents import AREAS, OPEN_STATES, SEVERITIES, STATE_LABELS
from forum.notify import notify
from forum.permissions import (
    can_follow_incident,
    can_link_topic_to_incident,
    can_manage_incidents,
    can_report_affected,
    suspension_message,
)
from forum.text import clean_block, clean_line, clean_reason
from forum.topics import services as topics

TITLE_MIN, TITLE_MAX = 5, 150
TAGS_MAX, TAG_MAX, TAGS_TOTAL_MAX = 10, 40, 300
BODY_MAX = 10_000
SUMMARY_MAX = 10_000
ANNOUNCEMENTS_SLUG = "announcements"

NO_FIRST_UPDATE = "An incident needs a first update: say what we know so far."
EMPTY_UPDATE = "Write the update first: it cannot be empty."
RESOLVED_REFUSED = (
    "This incident is resolved, so it takes no more updates. "
    "If the problem is back, open a new incident and link to this one."
)
SUMMARY_REQUIRED = "Resolving needs a final summary: what happened and what we will do about it."
TITLE_LENGTH_MESSAGE = f"Titles are {TITLE_MIN} to {TITLE_MAX} characters long."
CORRECTION_REASON_REQUIRED = "Say what the correction fixes: the reason is shown with it."


class IncidentError(actions.ActionError):
    """A refused write; the message is shown to the user, next to ``field`` when set."""


class PermissionDenied(IncidentError, actions.PermissionDenied):
    pass


def _text(value: str | None, *, field: str, empty: str, max_length: int) -> tuple[str, str]:
    value = clean_block(value, field=field, max_length=max_length, empty_message=empty, error=IncidentError)
    return value, markup.render_markdown(value)


def clean_tags(raw: str | None) -> str:
    tags: list[str] = []
    for tag in (raw or "").split(","):
        tag = clean_line(tag, field="tags", max_length=TAG_MAX, length_message=f"Each tag is at most {TAG_MAX} characters.",
                         error=IncidentError)
        if not tag:
            continue
        if tag.casefold() not in (t.casefold() for t in tags):
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise IncidentError(f"Give at most {TAGS_MAX} tags.", field="tags")
    joined = ", ".join(tags)
    if len(joined) > TAGS_TOTAL_MAX:
        raise IncidentError(f"The tags are too long together: at most {TAGS_TOTAL_MAX} characters.", field="tags")
    return joined


def _incident_url(incident: Incident) -> str:
    """The incident page's path. Built by hand (it matches the route) so that services
    also work outside a request, e.g. in ``forum demo``."""
    return f"/status/{incident.id}"


def _notify_followers(incident: Incident, *, actor: User, text: str) -> None:
    followers = db.session.scalars(select(IncidentFollow.user_id).where(IncidentFollow.incident_id == incident.id))
    notify(list(followers), kind="incident_update", text=text, url=_incident_url(incident), actor=actor)


def _insert_ignore(model, values: dict) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING on both backends; True when a row was added.
    Concurrent duplicates never raise and never abort the transaction."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(model).values(**values).on_conflict_do_nothing().returning(model.id)
    return db.session.execute(stmt).first() is not None


def open_incident(*, actor: User, title: str, tags: str, severity: str, body: str, state: str = "investigating") -> Incident:
    """Open an incident with its first update. The author follows it."""
    if not can_manage_incidents(actor):
        raise PermissionDenied("Only staff can open incidents.")
    title = clean_line(title, field="title", min_length=TITLE_MIN, max_length=TITLE_MAX,
                       length_message=TITLE_LENGTH_MESSAGE, error=IncidentError)
    tags = clean_tags(tags)
    if severity not in SEVERITIES:
        raise IncidentError("Choose a severity: minor, major or critical.", field="severity")
    if state not in OPEN_STATES:
        raise IncidentError("Choose the state: investigating, identified or monitoring.", field="state")
    body, html = _text(body, field="body", empty=NO_FIRST_UPDATE, max_length=BODY_MAX)
    now = utcnow()
    incident = Incident(
        title=title, tags=tags, severity=severity, state=state, created_by=actor, created_at=now, last_update_at=now
    )
    db.session.add(incident)
    db.session.flush()
    first = IncidentUpdate(incident_id=incident.id, author=actor, state=state, body=body, body_html=html, created_at=now)
    db.session.add(first)
    _insert_ignore(IncidentFollow, {"incident_id": incident.id, "user_id": actor.id, "created_at": now})
    db.session.flush()
    invalidate_after_commit()
    signals.incident_opened.send(incident, update=first, actor=actor)
    return incident


def post_update(incident: Incident, *, actor: User, state: str, body: str) -> IncidentUpdate:
    """Add an update to the timeline, moving the incident to ``state``; followers are notified."""
    if not can_manage_incidents(actor, incident):
        raise PermissionDenied("Only staff can post incident updates.")
    if not incident.is_open:
        raise IncidentError(RESOLVED_REFUSED, field="body")
    if state not in OPEN_STATES:
        raise IncidentError("Choose the state: investigating, identified or monitoring. Resolve from the resolve form.", field="state")
    body, html = _text(body, field="body", empty=EMPTY_UPDATE, max_length=BODY_MAX)
    now = utcnow()
    update = IncidentUpdate(incident_id=incident.id, author=actor, state=state, body=body, body_html=html, created_at=now)
    db.session.add(update)
    incident.state = state
    incident.last_update_at = now
    db.session.flush()
    _notify_followers(incident, actor=actor, text=f"{STATE_LABELS[state]}: new update on “{incident.title}”")
    invalidate_after_commit()
    live.publish_after_commit(update)
    signals.incident_updated.send(incident, update=update, actor=actor)
    return update


def correct_update(update: IncidentUpdate, *, actor: User, body: str, reason: str) -> IncidentUpdateRevision | None:
    """Correct an update. The earlier text is kept as a revision and the update is
    shown as "corrected"; there is no silent edit. Returns ``None`` when unchanged."""
    if not can_manage_incidents(actor, update.incident):
        raise PermissionDenied("Only staff can correct incident updates.")
    body, html = _text(body, field="body", empty=EMPTY_UPDATE, max_length=BODY_MAX)
    reason = clean_reason(reason, required=True, required_message=CORRECTION_REASON_REQUIRED, error=IncidentError)
    if body == update.body:
        return None
    revision = IncidentUpdateRevision(
        update=update, body=update.body, body_html=update.body_html, editor=actor, reason=reason, created_at=utcnow()
    )
    db.session.add(revision)
    update.body, update.body_html = body, html
    update.edited_at = revision.created_at
    update.edited_by = actor
    update.revision_count = (update.revision_count or 0) + 1
    db.session.flush()
    invalidate_after_commit()
    return revision


def resolve_incident(incident: Incident, *, actor: User, summary: str) -> IncidentUpdate:
    """Resolve with a final summary, pinned at the top of the incident page and added
    to the timeline; followers are notified. The banner goes after the commit."""
    if not can_manage_incidents(actor, incident):
        raise PermissionDenied("Only staff can resolve incidents.")
    if not incident.is_open:
        raise IncidentError("This incident is already resolved.", field="summary")
    summary, html = _text(summary, field="summary", empty=SUMMARY_REQUIRED, max_length=SUMMARY_MAX)
    now = utcnow()
    incident.state = "resolved"
    incident.resolved_at = incident.last_update_at = now
    incident.summary, incident.summary_html = summary, html
    update = IncidentUpdate(
        incident_id=incident.id, author=actor, state="resolved", body=summary, body_html=html, created_at=now
    )
    db.session.add(update)
    db.session.flush()
    _notify_followers(incident, actor=actor, text=f"Resolved: “{incident.title}”")
    invalidate_after_commit()
    live.publish_after_commit(update)
    signals.incident_resolved.send(incident, update=update, actor=actor)
    return update


def announcements_category() -> Category:
    category = db.session.scalar(select(Category).where(Category.slug == ANNOUNCEMENTS_SLUG))
    if category is None:
        category = create_category(
            name="Announcements", slug=ANNOUNCEMENTS_SLUG, description="News and incident reports from our team."
        )
    return category


def summary_topic(incident: Incident) -> Topic | None:
    return db.session.scalar(
        select(Topic)
        .join(IncidentTopic, IncidentTopic.topic_id == Topic.id)
        .where(IncidentTopic.incident_id == incident.id, IncidentTopic.kind == "summary")
    )


def publish_summary(incident: Incident, *, actor: User) -> Topic:
    """Write the summary up as a topic in "Announcements" (created if missing),
    linked both ways with the incident."""
    if not can_manage_incidents(actor, incident):
        raise PermissionDenied("Only staff can publish incident summaries.")
    if incident.is_open or not incident.summary:
        raise IncidentError("Resolve the incident with a summary before publishing it.")
    if summary_topic(incident) is not None:
        raise IncidentError("The summary is already published.")
    title = f"Resolved: {incident.title}"
    if len(title) > topics.TITLE_MAX:
        title = title[: topics.TITLE_MAX - 1].rstrip() + "…"
    body = f"{incident.summary}\n\n[Full incident timeline]({_incident_url(incident)})"
    try:
        topic = topics.create_topic(announcements_category(), author=actor, title=title, body=body)
    except topics.TopicError as exc:
        raise IncidentError(exc.message) from exc
    db.session.add(IncidentTopic(incident_id=incident.id, topic_id=topic.id, kind="summary", linked_by_id=actor.id))
    db.session.flush()
    invalidate_after_commit()
    return topic


def report_affected(incident: Incident, *, user: User | None = None, anon_key: str | None = None, area: str | None = None) -> bool:
    """Count one "I'm affected" press: once per member (or anonymous browser) per
    incident, safe under concurrent presses. A member also follows the incident.
    Returns whether this press was counted (False: already counted)."""
    if not incident.is_open:
        raise IncidentError("This incident is resolved, so we no longer count reports. Thank you all the same.")
    if area is not None and area not in AREAS:
        raise IncidentError("Choose your area from the list, or leave it empty.", field="area")
    now = utcnow()
    if user is not None:
        if not can_report_affected(user, incident):
            raise PermissionDenied(suspension_message(user) or "Confirm your email address first.")
        added = _insert_ignore(
            AffectedReport, {"incident_id": incident.id, "user_id": user.id, "area": area, "created_at": now}
        )
        _insert_ignore(IncidentFollow, {"incident_id": incident.id, "user_id": user.id, "created_at": now})
    else:
        if not anon_key or len(anon_key) > 64:
            raise IncidentError("Your browser did not keep our cookie; allow cookies and try again.")
        added = _insert_ignore(
            AffectedReport, {"incident_id": incident.id, "anon_key": anon_key, "area": area, "created_at": now}
        )
    if added:
        invalidate_after_commit()
    return added


def follow_incident(incident: Incident, *, user: User) -> bool:
    if not can_follow_incident(user, incident):
        raise PermissionDenied("Confirm your email address to follow incidents.")
    return _insert_ignore(IncidentFollow, {"incident_id": incident.id, "user_id": user.id, "created_at": utcnow()})


def unfollow_incident(incident: Incident, *, user: User) -> bool:
    result = db.session.execute(
        delete(IncidentFollow).where(IncidentFollow.incident_id == incident.id, IncidentFollow.user_id == user.id)
    )
    return result.rowcount > 0


def link_topic(incident: Incident, topic: Topic, *, actor: User, reason: str) -> IncidentTopic:
    """Move a member's topic into the incident as a linked report: the topic shows a
    notice pointing to the incident, its author follows the incident and is told,
    and the move is logged publicly with its reason."""
    if not can_link_topic_to_incident(actor, topic):
        raise PermissionDenied("Only staff can link topics to incidents.")
    reason = clean_reason(reason, required=True, error=IncidentError)
    existing = db.session.scalar(select(IncidentTopic).where(IncidentTopic.topic_id == topic.id))
    if existing is not None:
        raise IncidentError(f"That topic is already linked to incident #{existing.incident_id}.", field="topic")
    link = IncidentTopic(incident_id=incident.id, topic_id=topic.id, kind="report", linked_by_id=actor.id)
    db.session.add(link)
    db.session.flush()
    record_staff_action(
        actor,
        "link_topic_to_incident",
        subject=topic.author,
        reason=reason,
        target_type="topic",
        target_id=topic.id,
        topic_id=topic.id,
        summary=f"linked to incident #{incident.id}: {incident.title}",
        text=f"Your topic “{topic.title}” is linked to the incident “{incident.title}”",
        url=_incident_url(incident),
        kind="incident_link",
    )
    _insert_ignore(IncidentFollow, {"incident_id": incident.id, "user_id": topic.author_id, "created_at": utcnow()})
    invalidate_after_commit()
    return link
