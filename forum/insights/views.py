"""The insights pages: the dashboard, its CSV downloads, and the visitors' survey."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta

from flask import Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from forum.actions import action
from forum.extensions import csrf, db, limiter
from forum.forms import require_valid
from forum.insights import blocks, bp, forms, queries, services
from forum.insights.queries import Period
from forum.models import Category, Topic
from forum.models.base import utcnow
from forum.permissions import (
    can_answer_found_survey,
    can_view_insights,
    can_view_moderation_insights,
    can_view_team_insights,
)
from forum.templating import localdate

_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
_SURVEYED = "found_surveyed"


def now() -> datetime:
    """The dashboard's clock (tests replace it)."""
    return utcnow()


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not _DATE.match(raw):
        abort(400, f"The {name} date must look like 2026-12-01.")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400, f"The {name} date {raw} does not exist.")


def _period(today: date) -> Period:
    """The date range (default: the last 28 days up to today) and board from the query."""
    end = _date_arg("end") or today
    start = _date_arg("start") or end - timedelta(days=27)
    if start > end:
        abort(400, "The start date must be on or before the end date.")
    limit = int(current_app.config.get("INSIGHTS_MAX_DAYS", 366))
    if (end - start).days + 1 > limit:
        abort(400, f"Choose a range of at most {limit} days.")
    if end > today + timedelta(days=1) or start < date(2000, 1, 1):
        abort(400, "Choose dates between 2000 and today.")
    raw = request.args.get("board", "").strip()
    board = None
    if raw:
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
            abort(400, "The board must be a board number.")
        board = int(raw)
        if db.session.get(Category, board) is None:
            abort(404, "There is no such board.")
    return Period(start, end, board)


def _z() -> float:
    raw = request.args.get("z", "").strip()
    if not raw:
        return float(current_app.config.get("INSIGHTS_SPIKE_Z", 3.0))
    try:
        value = float(raw)
    except ValueError:
        abort(400, "The spike threshold must be a number between 1 and 10.")
    if not 1 <= value <= 10:
        abort(400, "The spike threshold must be a number between 1 and 10.")
    return value


def _visible_blocks() -> tuple[str, ...]:
    if not can_view_moderation_insights(current_user):
        abort(404)
    if not can_view_insights(current_user):
        return ("moderation",)
    return tuple(b for b in blocks.BLOCKS if b != "team" or can_view_team_insights(current_user))


def _build(names: tuple[str, ...]):
    clock = now()
    period = _period(queries.local_date(clock))
    return blocks.build(period, clock, blocks=names, z_min=_z(), fmt_time=localdate)


@bp.route("/staff/insights")
def dashboard():
    """Customer Care insights: every block for the period, with its chart and table."""
    names = _visible_blocks()
    ctx, data = _build(names)
    args = {k: v for k, v in request.args.items() if k in ("start", "end", "board", "z")}
    return render_template("insights/dashboard.html", ctx=ctx, data=data, names=names, args=args,
                           last_rollup=queries.last_rollup(), moderator_only=names == ("moderation",))


@bp.route("/staff/insights/<block>.csv")
def download(block: str):
    """One block's table as CSV, for the same period and board."""
    names = _visible_blocks()
    if block not in names:
        abort(404)
    ctx, data = _build((block,))
    out = io.StringIO()
    writer = csv.writer(out)
    b = data[block]
    writer.writerow(b["columns"])
    for row in b["rows"]:
        writer.writerow([_cell(v) for v in row])
    name = f"insights-{block}-{ctx.period.start.isoformat()}-{ctx.period.end.isoformat()}"
    if ctx.period.board is not None:
        name += f"-board{ctx.period.board}"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"', "Cache-Control": "no-store"})


def _cell(value) -> str:
    """A spreadsheet must never read user text as a formula (CSV injection)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


#: How long a survey form on a (cached) topic page stays valid.
FOUND_TOKEN_MAX_AGE = 86_400


def _found_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="found-survey")


@bp.app_template_global("found_survey_token")
def found_survey_token(topic_id: int) -> str:
    """The survey form's proof: signed, naming the topic, valid for a day. It replaces
    the session's CSRF token so that a visitor's topic page starts no session and stays
    publicly cacheable (forum/httpcache.py)."""
    return _found_signer().dumps(topic_id)


@bp.route("/t/<id:topic_id>/found", methods=["POST"])
@csrf.exempt  # a visitor's anonymous answer; the signed token below is the request's proof
@limiter.limit("20 per hour")
def found(topic_id: int):
    """A visitor's "Did you find what you needed?" on a solved topic."""
    topic = db.get_or_404(Topic, topic_id)
    if not can_answer_found_survey(current_user, topic):
        abort(403, "Only visitors answer this, on solved topics.")
    try:
        signed_for = _found_signer().loads(request.form.get("token", ""), max_age=FOUND_TOKEN_MAX_AGE)
    except BadSignature:
        abort(400, "This form has expired: reload the page and answer again.")
    if signed_for != topic.id:
        abort(400, "This form belongs to another topic: reload the page and answer again.")
    form = forms.FoundForm()
    require_valid(form, "Answer Yes or No.")
    target = url_for("topics.view_topic", topic_id=topic.id) + "#found"
    seen = session.get(_SURVEYED, [])
    if topic.id in seen:
        flash("Thanks, we already have your answer.", "info")
        return redirect(target, 303)
    with action() as done:
        services.record_found(topic, user=current_user, found=form.found.data == "yes")
    if done:
        session[_SURVEYED] = [*seen[-49:], topic.id]
        flash("Thanks for telling us.", "success")
    return redirect(target, 303)
