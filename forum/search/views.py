"""The search page, the similar-topics endpoint and the deflection counter."""

from __future__ import annotations

import re
import time as clock
from datetime import date, datetime, time

from flask import (
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from forum import overload
from forum.actions import ActionError, action
from forum.extensions import cache, csrf, db
from forum.forms import EmptyForm
from forum.models import SearchSynonym, Topic
from forum.pagecache import mark_for_member
from forum.permissions import can_manage_search_synonyms, can_view_staff_pages, require
from forum.search import analytics, bp, forms, indexer, queries, services, vocabulary
from forum.search.index import BadQuery, Filters, SearchUnavailable

TYPES = {"topic": "Topics", "reply": "Replies", "qa": "Q&A answers"}
SORTS = ("relevance", "newest")
MAX_PAGE = 100
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadInput(ActionError):
    """A search parameter that makes no sense (shown above the form, with a 400)."""


def _date(name: str, *, end: bool = False) -> datetime | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    if not _DATE.match(raw):
        raise BadInput(f"Dates look like 2026-01-31 (the “{'to' if end else 'from'}” date was not one).")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadInput(f"{raw} is not a date on the calendar.") from None
    return datetime.combine(day, time.max if end else time.min)


def _busy_key() -> str:
    return "search-page:" + request.full_path


def _busy_answer():
    """Overloaded: the same query's recent visitor page from the shared cache, else a
    clear "Search is busy" page (503, Retry-After). Never runs a search."""
    g.forum_signed_in_reader = current_user.is_authenticated
    html = cache.get(_busy_key())
    if isinstance(html, str):
        return mark_for_member(html)
    retry = int(current_app.config["SEARCH_BUSY_RETRY_AFTER"])
    return render_template("search/busy.html", q=queries.clean_query(request.args.get("q", "")), retry=retry), 503, {
        "Retry-After": str(retry)}


@bp.route("/search")
def search():
    """Search topics, replies and answered Q&A questions."""
    if request.args.get("q") and overload.is_overloaded():
        return _busy_answer()
    q = queries.clean_query(request.args.get("q", ""))
    args = {
        "resolved": request.args.get("resolved") == "1",
        "official": request.args.get("official") == "1",
        "category": (request.args.get("category") or "")[:80],
        "type": request.args.get("type") or "",
        "sort": request.args.get("sort") or "relevance",
        "from": (request.args.get("from") or "")[:10],
        "to": (request.args.get("to") or "")[:10],
    }
    cats = queries.categories()
    raw_page = request.args.get("page", "1")
    error = None
    status = 200
    try:
        if not (raw_page.isascii() and raw_page.isdigit()) or not 1 <= int(raw_page) <= MAX_PAGE:
            raise BadInput(f"Pages go from 1 to {MAX_PAGE}.")
        if args["type"] and args["type"] not in TYPES:
            raise BadInput("Choose topics, replies or Q&A answers.")
        if args["sort"] not in SORTS:
            raise BadInput("Sort by relevance or by newest.")
        if args["category"] and args["category"] not in {c.slug for c in cats}:
            raise BadInput("There is no such category.")
        since, until = _date("from"), _date("to", end=True)
        if since and until and since > until:
            raise BadInput("The “from” date is after the “to” date.")
    except BadInput as exc:
        error, status = str(exc), 400
    degraded = None
    page = results = suggestion = None
    started = clock.perf_counter()
    if q and error is None:
        filters = Filters(resolved=args["resolved"], official=args["official"], category=args["category"] or None,
                          kind=args["type"] or None, since=since, until=until)
        backend = indexer.get_backend()
        try:
            holder: dict = {}

            def load_texts(hits):
                holder["loaded"] = queries.Loaded(hits)
                return holder["loaded"].texts()

            page = backend.search(q, filters=filters, sort=args["sort"], page=int(raw_page),
                                  per_page=int(current_app.config.get("SEARCH_PER_PAGE", 10)), load_texts=load_texts,
                                  synonyms=services.synonyms())
            loaded = holder.get("loaded")
            results = [r for h in page.hits if loaded and (r := loaded.result(h)) is not None]
            suggestion = backend.suggest(q, min_docs=int(current_app.config.get("SEARCH_SUGGEST_MIN_DOCS", 3)))
            degraded = indexer.status()
        except BadQuery as exc:
            error, status = str(exc), 400
        except SearchUnavailable as exc:
            current_app.logger.warning("search degraded: %s", exc.detail)
            degraded, status = str(exc), 503
    elif not q:
        try:
            degraded = indexer.status()
        except SearchUnavailable as exc:
            degraded = str(exc)
    key = analytics.new_key() if page is not None and analytics.enabled() else None
    pings = {}
    if key and results:
        signer = _click_signer()
        first = (page.page - 1) * page.per_page
        pings = {r.url: url_for("search.click", token=signer.dumps([key, first + i + 1, r.url]))
                 for i, r in enumerate(results)}
    response = make_response(render_template(
        "search/search.html", q=q, args=args, categories=cats, types=TYPES, page=page, results=results,
        suggestion=suggestion, error=error, degraded=degraded, truncated=len(request.args.get("q", "")) > queries.QUERY_MAX,
        pings=pings,
    ), status)
    if status == 200 and q and not degraded and not current_user.is_authenticated and not session:
        # Kept to answer the same query while the forum is overloaded (forum/overload.py).
        cache.set(_busy_key(), response.get_data(as_text=True), timeout=int(current_app.config["SEARCH_BUSY_CACHE_SECONDS"]))
    if key:
        filters = ",".join(k if v is True else f"{k}={v}" for k, v in args.items()
                           if v and k != "sort" and not (k == "type" and not v))
        analytics.record_later(response, key=key, source="page", query=analytics.normalise(q), filters=filters[:200],
                               result_count=page.total, latency_ms=int((clock.perf_counter() - started) * 1000),
                               page=int(raw_page), session_hash=analytics.session_hash())
    return response


def _click_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="search-click")


@bp.route("/search/click/<token>", methods=["POST"])
@csrf.exempt  # the signed token names one search of this page; it is the request's proof
def click(token: str):
    """A result was opened (the link's ``ping``): record it and its rank. 204."""
    try:
        key, rank, url = _click_signer().loads(token)
    except (BadSignature, ValueError, TypeError):
        abort(400)
    if not (isinstance(key, str) and isinstance(rank, int) and isinstance(url, str)) or not 1 <= rank <= 10_000:
        abort(400)
    with action():
        analytics.record_click(key, rank, url[:24])
    return "", 204


@bp.route("/staff/search")
def insights():
    """Search insights for staff: top searches, searches with no results, click-through."""
    require(can_view_staff_pages, current_user)
    raw = request.args.get("days", "30")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 365:
        abort(400)
    return render_template("search/insights.html", data=analytics.insights(days=int(raw)))


@bp.route("/search/similar")
def similar():
    """Up to five topics similar to a title being typed, resolved ones first (JSON)."""
    title = queries.clean_query(request.args.get("title", ""))
    started = clock.perf_counter()
    items, degraded = queries.similar_items(title)
    response = jsonify({"title": title, "results": items, "degraded": bool(degraded)})
    response.headers["Cache-Control"] = "no-store"
    if len(title) >= 3 and not degraded:
        analytics.record_later(response, key=analytics.new_key(), source="suggest", query=analytics.normalise(title),
                               result_count=len(items), latency_ms=int((clock.perf_counter() - started) * 1000),
                               session_hash=analytics.session_hash(start=True))
    return response


@bp.route("/search/ask")
def ask():
    """"Ask the community" from the results: choose a board; the query becomes the title."""
    title = queries.clean_query(request.args.get("title", ""))[:150]
    return render_template("search/ask.html", title=title, categories=queries.categories())


@bp.route("/search/open/<id:topic_id>", methods=["POST"])
def open_suggestion(topic_id: int):
    """Someone opened a suggested topic while asking: count it, then go to the topic
    (a script's beacon, which only reports the click, gets 204)."""
    topic = db.get_or_404(Topic, topic_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    with action():
        services.count_suggestion_opened()
    if request.form.get("beacon"):
        return "", 204
    return redirect(url_for("topics.view_topic", topic_id=topic.merged_into_id or topic.id), 303)


@bp.route("/admin/search/synonyms", methods=["GET", "POST"])
def synonyms():
    """The synonym list in force (shipped file + admins' groups); add or replace a group."""
    require(can_manage_search_synonyms, current_user)
    form = forms.SynonymForm()
    if form.validate_on_submit():
        with action(form, field="key") as done:
            row = services.set_synonym_group(key=form.key.data, entries=form.entries.data or "")
        if done:
            flash(f"Synonyms for “{row.key}” saved; searches use them now.", "success")
            return redirect(url_for("search.synonyms"))
    return render_template("search/synonyms.html", form=form, delete_form=EmptyForm(),
                           shipped=vocabulary.shipped_groups(), overrides=services.synonym_overrides(),
                           groups=services.synonym_groups()), 422 if form.errors else 200


@bp.route("/admin/search/synonyms/<id:synonym_id>/delete", methods=["POST"])
def delete_synonym(synonym_id: int):
    """Drop an admins' group: the shipped list applies again."""
    require(can_manage_search_synonyms, current_user)
    row = db.get_or_404(SearchSynonym, synonym_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    key = row.key
    with action() as done:
        services.delete_synonym_override(row)
    if done:
        flash(f"The admins' group for “{key}” was removed.", "success")
    return redirect(url_for("search.synonyms"), 303)
