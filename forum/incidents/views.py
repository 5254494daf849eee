"""``/status``: the public status page, incident pages, their feeds and staff actions."""

from __future__ import annotations

import re
import secrets

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from forum import idempotency
from forum.actions import action
from forum.extensions import db, limiter
from forum.forms import EmptyForm
from forum.incidents import bp, feeds, forms, live, queries, services
from forum.models import Topic
from forum.pagecache import reader_page
from forum.permissions import (
    can_follow_incident,
    can_link_topic_to_incident,
    can_manage_incidents,
    can_report_affected,
    require,
)
from forum.web import MAX_ID, page_arg

ANON_COOKIE = "forum_affected"
ANON_COOKIE_AGE = 365 * 24 * 3600


def _incident_url(incident, **kw) -> str:
    return url_for("incidents.view_incident", incident_id=incident.id, **kw)


def _load_or_404(incident_id: int):
    incident = queries.get_incident(incident_id)
    if incident is None:
        abort(404, "There is no such incident.")
    return incident


def _status(form) -> int:
    return 422 if form.errors else 200


@bp.route("/status")
@reader_page
def status():
    """Open incidents and the history of past ones."""
    page_no = page_arg()
    past = queries.past_incidents(page_no)
    if page_no > past.pages:
        abort(404)
    return render_template("incidents/status.html", open_list=queries.open_incident_list(), past=past)


@bp.route("/status.atom")
def status_feed():
    """Atom feed of the latest updates across all incidents."""
    return Response(feeds.build_feed(queries.recent_updates()), mimetype="application/atom+xml")


@bp.route("/status/<id:incident_id>.atom")
def incident_feed(incident_id: int):
    """Atom feed of one incident's updates."""
    incident = _load_or_404(incident_id)
    body = feeds.build_feed(queries.recent_updates(incident=incident, limit=200), incident=incident)
    return Response(body, mimetype="application/atom+xml")


@bp.route("/status/new", methods=["GET", "POST"])
def new_incident():
    """Open an incident with its first update (staff)."""
    require(can_manage_incidents, current_user)
    form = forms.IncidentForm()
    if request.method == "GET":  # prefilled from a link (the insights spike's "Open an incident")
        form.title.data = request.args.get("title", "")[:forms.TITLE_MAX] or None
        form.tags.data = request.args.get("tags", "")[:forms.TAGS_TOTAL_MAX] or None
    if form.validate_on_submit():
        with action(form, field="body") as done:
            idempotency.claim(form)
            incident = services.open_incident(
                actor=current_user,
                title=form.title.data,
                tags=form.tags.data,
                severity=form.severity.data,
                state=form.state.data,
                body=form.body.data,
            )
            idempotency.record(form, _incident_url(incident))
        if done:
            flash("The incident is open and the banner is showing on every page.", "success")
            return redirect(_incident_url(incident))
    return render_template("incidents/new_incident.html", form=form), _status(form)


def _render_incident(incident, *, update_form=None, link_form=None, status: int = 200):
    staff = can_manage_incidents(current_user, incident)
    context = {
        "incident": incident,
        "updates": queries.timeline(incident),
        "counts": queries.affected_counts(incident),
        "links": queries.linked_topics(incident),
        "viewer": queries.viewer_state(incident, current_user),
        "anon_reports": current_app.config["INCIDENT_ANON_REPORTS"],
        "empty_form": EmptyForm() if current_user.is_authenticated else None,
        "affected_form": forms.AffectedForm() if current_user.is_authenticated else None,
        "update_form": (update_form or forms.UpdateForm(state=incident.state)) if staff and incident.is_open else None,
        "link_form": (link_form or forms.LinkTopicForm()) if can_link_topic_to_incident(current_user) else None,
    }
    html = render_template("incidents/view_incident.html", **context)
    return html if status == 200 else (html, status)


@bp.route("/status/<id:incident_id>")
@reader_page
def view_incident(incident_id: int):
    """An incident: state, pinned summary, timeline, affected counter and linked topics."""
    return _render_incident(_load_or_404(incident_id))


@bp.route("/status/<id:incident_id>/events")
def events(incident_id: int):
    """Server-sent events: an open incident's new updates, for its open pages (live.py)."""
    incident = _load_or_404(incident_id)
    raw = (request.headers.get("Last-Event-ID") or request.args.get("after") or "").strip()
    after = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 10 else None
    app = current_app._get_current_object()
    subscription = live.Subscription(app, incident.id) if incident.is_open else None  # before the query
    try:
        missed = [live.message(u) for u in queries.updates_after(incident, after)] if after is not None else []
    except Exception:
        if subscription is not None:
            subscription.close()
        raise
    if subscription is None and not missed:
        return "", 204  # resolved: EventSource stops reconnecting
    response = Response(live.stream(app, subscription, missed), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    if subscription is not None:
        response.call_on_close(subscription.close)
    return response


@bp.route("/status/<id:incident_id>/updates", methods=["POST"])
def post_update(incident_id: int):
    """Add an update to the timeline (staff). Refused once the incident is resolved."""
    incident = _load_or_404(incident_id)
    require(can_manage_incidents, current_user, incident)
    form = forms.UpdateForm()
    if not incident.is_open:
        flash(services.RESOLVED_REFUSED, "error")
        return redirect(_incident_url(incident)), 303
    if form.validate_on_submit():
        with action(form, field="body") as done:
            idempotency.claim(form)
            services.post_update(incident, actor=current_user, state=form.state.data, body=form.body.data)
            idempotency.record(form, _incident_url(incident))
        if done:
            flash("Update posted; followers are being notified.", "success")
            return redirect(_incident_url(incident))
    return _render_incident(incident, update_form=form, status=422)


@bp.route("/status/updates/<id:update_id>/correct", methods=["GET", "POST"])
def correct_update(update_id: int):
    """Correct an update (staff): the earlier text stays visible as a revision."""
    update = queries.get_update(update_id)
    if update is None:
        abort(404, "There is no such update.")
    require(can_manage_incidents, current_user, update.incident)
    form = forms.CorrectionForm()
    if request.method == "GET":
        form.body.data = update.body
    if form.validate_on_submit():
        with action(form, field="body") as done:
            idempotency.claim(form)
            changed = services.correct_update(update, actor=current_user, body=form.body.data, reason=form.reason.data)
            idempotency.record(form, _incident_url(update.incident, _anchor=f"u{update.id}"))
        if done:
            flash("Correction saved; it is marked as corrected." if changed else "Nothing changed.", "success")
            return redirect(_incident_url(update.incident, _anchor=f"u{update.id}"))
    return render_template("incidents/correct_update.html", update=update, form=form), _status(form)


@bp.route("/status/<id:incident_id>/resolve", methods=["GET", "POST"])
def resolve(incident_id: int):
    """Resolve an incident with its final summary (staff)."""
    incident = _load_or_404(incident_id)
    require(can_manage_incidents, current_user, incident)
    if not incident.is_open:
        flash("This incident is already resolved.", "info")
        return redirect(_incident_url(incident))
    form = forms.ResolveForm()
    if form.validate_on_submit():
        with action(form, field="summary") as done:
            services.resolve_incident(incident, actor=current_user, summary=form.summary.data)
            topic = services.publish_summary(incident, actor=current_user) if form.publish.data else None
        if done:
            flash("Resolved: the banner is gone" + (" and the summary is published." if topic else "."), "success")
            return redirect(_incident_url(incident))
    return render_template("incidents/resolve.html", incident=incident, form=form), _status(form)


@bp.route("/status/<id:incident_id>/publish", methods=["POST"])
def publish(incident_id: int):
    """Publish the summary of a resolved incident as an Announcements topic (staff)."""
    incident = _load_or_404(incident_id)
    require(can_manage_incidents, current_user, incident)
    if not EmptyForm().validate_on_submit():
        abort(400, "Bad publish request.")
    with action(quiet=True) as done:
        topic = services.publish_summary(incident, actor=current_user)
    if not done:
        abort(done.error.status, done.error.message)
    flash("The summary is published in Announcements.", "success")
    return redirect(url_for("topics.view_topic", topic_id=topic.id, slug=topic.slug))


def _anon_key(serializer: URLSafeSerializer) -> tuple[str, bool]:
    """This browser's anonymous key from its signed cookie; a new one if absent or forged."""
    raw = request.cookies.get(ANON_COOKIE, "")
    try:
        key = serializer.loads(raw) if raw else None
    except BadSignature:
        key = None
    if isinstance(key, str) and re.fullmatch(r"[0-9a-f]{32}", key):
        return key, False
    return secrets.token_hex(16), True


def _anon_limit() -> str:
    return current_app.config["INCIDENT_ANON_REPORT_LIMIT"]


@bp.route("/status/<id:incident_id>/affected", methods=["GET", "POST"])
@limiter.limit(_anon_limit, methods=["POST"], exempt_when=lambda: current_user.is_authenticated)
def affected(incident_id: int):
    """Press "I'm affected" (members; visitors when allowed), with an optional area."""
    incident = _load_or_404(incident_id)
    anonymous = not current_user.is_authenticated
    # Visitors may press too when FORUM_INCIDENT_ANON_REPORTS is on, a setting the
    # predicate does not know. No incident is passed: a resolved one gets a message
    # below rather than a 403.
    if not (anonymous and current_app.config["INCIDENT_ANON_REPORTS"]):
        require(can_report_affected, current_user)
    form = forms.AffectedForm()
    if not incident.is_open:
        flash("This incident is resolved, so we no longer count reports. Thank you all the same.", "info")
        return redirect(_incident_url(incident))
    if not form.validate_on_submit():
        return render_template("incidents/affected.html", incident=incident, form=form), _status(form)
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt="incident-anon-key")
    key, new_key = _anon_key(serializer) if anonymous else (None, False)
    with action(form, field="area") as done:
        counted = services.report_affected(
            incident, user=None if anonymous else current_user, anon_key=key, area=form.area.data or None
        )
    if not done:
        return render_template("incidents/affected.html", incident=incident, form=form), 422
    if counted:
        flash("Thanks, you are counted as affected." + ("" if anonymous else " We will notify you of every update."), "success")
    else:
        flash("You are already counted as affected by this incident.", "info")
    response = redirect(_incident_url(incident))
    if new_key:
        response.set_cookie(
            ANON_COOKIE, serializer.dumps(key), max_age=ANON_COOKIE_AGE, httponly=True, samesite="Lax",
            secure=request.is_secure,
        )
    return response


@bp.route("/status/<id:incident_id>/follow", methods=["POST"])
def follow(incident_id: int):
    """Follow an incident: be notified of every update."""
    incident = _load_or_404(incident_id)
    require(can_follow_incident, current_user, incident)
    if not EmptyForm().validate_on_submit():
        abort(400, "Bad follow request.")
    with action() as done:
        services.follow_incident(incident, user=current_user)
    if done:
        flash("You are following this incident: we will notify you of every update.", "success")
    return redirect(_incident_url(incident))


@bp.route("/status/<id:incident_id>/unfollow", methods=["POST"])
def unfollow(incident_id: int):
    """Stop following an incident."""
    incident = _load_or_404(incident_id)
    require(can_follow_incident, current_user, incident)
    if not EmptyForm().validate_on_submit():
        abort(400, "Bad unfollow request.")
    with action() as done:
        services.unfollow_incident(incident, user=current_user)
    if done:
        flash("You no longer follow this incident.", "success")
    return redirect(_incident_url(incident))


_TOPIC_REF = re.compile(r"^(?:.*/t/)?([0-9]{1,10})(?:[-/?#].*)?$")


def _topic_from_ref(ref: str) -> Topic | None:
    match = _TOPIC_REF.match(ref.strip())
    if not match or int(match.group(1)) > MAX_ID:
        return None
    return db.session.get(Topic, int(match.group(1)))


@bp.route("/status/<id:incident_id>/link", methods=["POST"])
def link_topic(incident_id: int):
    """Move a topic into the incident as a linked report (staff, logged with a reason)."""
    incident = _load_or_404(incident_id)
    require(can_link_topic_to_incident, current_user)
    form = forms.LinkTopicForm()
    if form.validate_on_submit():
        topic = _topic_from_ref(form.topic.data)
        if topic is None:
            form.topic.errors = [*form.topic.errors, "There is no such topic: give its number or its address (e.g. /t/42)."]
        else:
            with action(form, field="topic") as done:
                services.link_topic(incident, topic, actor=current_user, reason=form.reason.data)
            if done:
                flash(f"“{topic.title}” is now linked to this incident.", "success")
                return redirect(_incident_url(incident))
    return _render_incident(incident, link_form=form, status=422)
