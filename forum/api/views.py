"""The API's endpoints under ``/api/v1``. Each one: load -> authorise (a scope and
the pages' own predicate, :func:`forum.api.auth.need`) -> call the feature's service
or query -> commit at the core boundary (``forum.actions.action``) -> dump through
the schema that also documents it. No rule lives here that the pages do not share."""

from __future__ import annotations

from flask import current_app, g
from flask_smorest import Api
from flask_smorest import Blueprint as ApiBlueprint
from werkzeug.exceptions import HTTPException

from forum import personal_data
from forum.accounts import queries as account_queries
from forum.accounts import services as account_services
from forum.actions import ActionError, action
from forum.api import auth, present, queries
from forum.api import schemas as s
from forum.api.errors import ApiError, from_action_error, handle_api_error, handle_http_exception
from forum.extensions import csrf, db
from forum.helpdesk import escalation, notes
from forum.helpdesk import queries as helpdesk_queries
from forum.incidents import queries as incident_queries
from forum.incidents import services as incident_services
from forum.models import Post
from forum.permissions import (
    can_close_private_case,
    can_create_topic,
    can_manage_incidents,
    can_read_conversation,
    can_reply_to_topic,
    can_use_staff_inbox,
    can_view_internal_notes,
    can_view_staff_queue,
    can_view_topic,
    can_write_internal_note,
)
from forum.search import indexer
from forum.search import queries as search_queries
from forum.search import services as search_services
from forum.search.index import BadQuery, Filters, SearchUnavailable
from forum.topics import queries as topic_queries
from forum.topics import services as topic_services
from forum.web import MAX_ID

PREFIX = "/api/v1"

api = ApiBlueprint("api", __name__, url_prefix=PREFIX, description="The forum's JSON API, version 1.")
csrf.exempt(api)  # the API reads no cookie: a bearer token is not sent by a browser on its own


class ForumApi(Api):
    """flask-smorest's ``Api`` with the forum's error shape, and its handlers kept to
    the API's own blueprint (the pages keep their HTML error pages)."""

    ERROR_SCHEMA = s.Error

    def _register_error_handlers(self):
        pass


def init_api(app) -> None:
    app.config.setdefault("API_TITLE", "Connect Community API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": "Topics, posts, search, incidents, the staff queue, private cases and internal "
                                "notes, for a care team's tools. Authenticate with `Authorization: Bearer "
                                "<token>`; reading public topics needs no token."},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{}, {"bearer": []}],
        "servers": [{"url": "/"}],
    })
    forum_api = ForumApi(app)
    from forum.web import IdConverter

    forum_api.register_converter(IdConverter, lambda c: {"type": "integer", "minimum": 1, "maximum": MAX_ID})
    forum_api.register_blueprint(api)


@api.before_request
def _authenticate():
    auth.authenticate()


api.register_error_handler(ApiError, handle_api_error)
api.register_error_handler(HTTPException, handle_http_exception)


@api.after_request
def _no_store(response):
    response.vary.add("Authorization")  # a cached visitor answer is never served to a token
    if g.get("api_token") is not None:
        response.headers["Cache-Control"] = "private, no-store"
    return response


class boundary(action):  # noqa: N801 - used as a statement, like ``action``
    """The core boundary (commit, or roll back), reporting a refusal as the API's error."""

    def __init__(self):
        super().__init__(quiet=True)

    def __exit__(self, exc_type, exc, tb) -> bool:
        suppressed = super().__exit__(exc_type, exc, tb)
        if self.error is not None:
            raise from_action_error(self.error)
        return suppressed


def _not_found(what: str = "That") -> ApiError:
    return ApiError(404, "not_found", f"{what} was not found.")


def _topic(topic_id: int):
    topic = topic_queries.get_topic(topic_id)
    if topic is None or not can_view_topic(auth.caller(), topic):
        raise _not_found("That topic")
    return topic


def _guard(*texts: str | None, confirmed: bool) -> None:
    """The personal-data guard of the posting pages: refuse unless confirmed."""
    found = personal_data.find_personal_data(*texts)
    if found and not confirmed:
        raise ApiError(422, "personal_data",
                       "This looks like personal data (" + ", ".join(found) + "). Remove it, or send "
                       "confirm_personal_data: true to post anyway.", fields={"body": found})


# --- topics and posts ---------------------------------------------------------------


@api.route("/topics")
@api.arguments(s.TopicQuery, location="query")
@api.response(200, s.TopicList)
def list_topics(args):
    """Topics, latest activity first (a board's pinned topics first), with the boards' status filters."""
    auth.need("read", lambda u, _: True)
    if args.get("category"):
        category = topic_queries.category_by_slug(args["category"])
        if category is None:
            raise _not_found("That board")
        page = topic_queries.category_topics(category, args["page"], args["status"])
    else:
        page = queries.all_topics(args["page"], args["status"])
    return {"items": [present.topic_summary(t) for t in page.items], "pagination": present.page_info(page)}


@api.route("/topics", methods=["POST"])
@api.arguments(s.TopicIn)
@api.response(201, s.TopicDetail)
def create_topic(data):
    """Start a topic in a board (as the token's user), through the posting path of the pages."""
    auth.need("write")
    category = topic_queries.category_by_slug(data["category"])
    if category is None:
        raise ApiError(422, "invalid", "There is no such board.", fields={"category": ["There is no such board."]})
    auth.need("write", can_create_topic, category)
    _guard(data["title"], data["body"], confirmed=data["confirm_personal_data"])
    with boundary():
        topic = topic_services.create_topic(category, author=auth.caller(), title=data["title"], body=data["body"])
    return _topic_detail(topic)


def _topic_detail(topic) -> dict:
    viewer = auth.caller()
    first = db.session.scalars(db.select(Post).where(Post.topic_id == topic.id, Post.is_first.is_(True))).first()
    extras = helpdesk_queries.topic_extras(topic, [], viewer)
    return {
        **present.topic_summary(topic),
        "first_post": present.post(first, viewer),
        "official_answer": present.post(extras.official, viewer),
        "solution": present.post(extras.solution, viewer),
        "resolved_at": topic.resolved_at,
        "has_private_case": topic.private_contact_at is not None,
    }


@api.route("/topics/<id:topic_id>")
@api.response(200, s.TopicDetail)
def get_topic(topic_id: int):
    """One topic: its state, opening post, official answer and accepted solution."""
    auth.need("read", lambda u, _: True)
    return _topic_detail(_topic(topic_id))


@api.route("/topics/<id:topic_id>/posts")
@api.arguments(s.PageQuery, location="query")
@api.response(200, s.PostList)
def list_posts(args, topic_id: int):
    """One page of a topic's posts: the opening post (page 1), then threads in reading order."""
    auth.need("read", lambda u, _: True)
    topic = _topic(topic_id)
    first, page = topic_queries.topic_page(topic, args["page"])
    if args["page"] > max(page.pages, 1):
        raise _not_found("That page")
    viewer = auth.caller()
    posts = ([first] if first else []) + [entry.post for entry in page.items]
    return {"items": [present.post(p, viewer) for p in posts], "pagination": present.page_info(page)}


@api.route("/topics/<id:topic_id>/posts", methods=["POST"])
@api.arguments(s.ReplyIn)
@api.response(201, s.PostOut)
def create_reply(data, topic_id: int):
    """Reply to a topic, or to one of its posts (``parent_id``), as the token's user."""
    auth.need("write")
    topic = _topic(topic_id)
    auth.need("write", can_reply_to_topic, topic)
    parent = None
    if data.get("parent_id") is not None:
        parent = db.session.get(Post, data["parent_id"])
        if parent is None or parent.topic_id != topic.id:
            raise ApiError(422, "invalid", "That post is not in this topic.",
                           fields={"parent_id": ["That post is not in this topic."]})
    _guard(data["body"], confirmed=data["confirm_personal_data"])
    with boundary():
        post = topic_services.reply_to_topic(topic, author=auth.caller(), body=data["body"], parent=parent)
    return present.post(post, auth.caller())


@api.route("/topics/<id:topic_id>/notes")
@api.response(200, s.NoteList)
def list_notes(topic_id: int):
    """The topic's internal notes (staff only; never shown to members)."""
    topic = _topic(topic_id)
    auth.need("staff", can_view_internal_notes, topic)
    return {"items": [present.note(n) for n in notes.topic_notes(topic, auth.caller())]}


@api.route("/topics/<id:topic_id>/notes", methods=["POST"])
@api.arguments(s.NoteIn)
@api.response(201, s.NoteOut)
def add_note(data, topic_id: int):
    """Add an internal note to a topic (a CRM's post-back; staff scope)."""
    topic = _topic(topic_id)
    auth.need("write")
    auth.need("staff", can_write_internal_note, topic)
    with boundary():
        note = notes.add_note(topic, author=auth.caller(), body=data["body"])
    return present.note(note)


# --- search --------------------------------------------------------------------------


@api.route("/search")
@api.arguments(s.SearchQuery, location="query")
@api.response(200, s.SearchResults)
@api.alt_response(503, schema=s.Error, description="Search is unavailable")
def search(args):
    """Search topics, replies and answered Q&A questions (the search page's ranking)."""
    auth.need("read", lambda u, _: True)
    q = search_queries.clean_query(args["q"])
    per_page = int(current_app.config.get("SEARCH_PER_PAGE", 10))
    if not q:
        raise ApiError(422, "invalid", "Type some words to search for.", fields={"q": ["Type some words."]})
    if args.get("category") and args["category"] not in {c.slug for c in search_queries.categories()}:
        raise ApiError(422, "invalid", "There is no such board.", fields={"category": ["There is no such board."]})
    filters = Filters(resolved=args["resolved"], official=False, category=args.get("category"),
                      kind=args.get("type"), since=None, until=None)
    holder: dict = {}

    def load_texts(hits):
        holder["loaded"] = search_queries.Loaded(hits)
        return holder["loaded"].texts()

    backend = indexer.get_backend()
    try:
        page = backend.search(q, filters=filters, sort="relevance", page=args["page"], per_page=per_page,
                              load_texts=load_texts, synonyms=search_services.synonyms())
        suggestion = backend.suggest(q, min_docs=int(current_app.config.get("SEARCH_SUGGEST_MIN_DOCS", 3)))
    except BadQuery as exc:
        raise ApiError(422, "invalid", str(exc), fields={"q": [str(exc)]}) from exc
    except SearchUnavailable as exc:
        current_app.logger.warning("search degraded: %s", exc.detail)
        raise ApiError(503, "unavailable", str(exc)) from exc
    loaded = holder.get("loaded")
    results = [r for h in page.hits if loaded and (r := loaded.result(h)) is not None]
    total = page.total
    return {
        "q": q,
        "items": [{"kind": r.kind, "title": r.title, "url": r.url, "category": r.category, "resolved": r.resolved,
                   "official": r.official, "snippet_html": str(_escape(r.snippet)), "when": r.when} for r in results],
        "pagination": {"page": args["page"], "per_page": per_page, "total": total,
                       "pages": max(1, -(-total // per_page)) if total else 0},
        "suggestion": suggestion or None,
    }


def _escape(snippet):
    from markupsafe import escape

    return escape(snippet)  # a Markup snippet (already escaped and marked) stays as it is


# --- incidents -----------------------------------------------------------------------


@api.route("/incidents")
@api.arguments(s.PageQuery, location="query")
@api.response(200, s.IncidentList)
def list_incidents(args):
    """Open incidents, and one page of past ones (newest first)."""
    auth.need("read", lambda u, _: True)
    past = incident_queries.past_incidents(args["page"])
    return {"open": [present.incident_summary(i) for i in incident_queries.open_incident_list()],
            "past": [present.incident_summary(i) for i in past.items], "pagination": present.page_info(past)}


def _incident(incident_id: int):
    incident = incident_queries.get_incident(incident_id)
    if incident is None:
        raise _not_found("That incident")
    return incident


@api.route("/incidents/<id:incident_id>")
@api.response(200, s.IncidentDetail)
def get_incident(incident_id: int):
    """One incident with its timeline of updates."""
    auth.need("read", lambda u, _: True)
    incident = _incident(incident_id)
    return {**present.incident_summary(incident), "summary_html": incident.summary_html,
            "updates": [present.incident_update(u) for u in incident_queries.timeline(incident)]}


@api.route("/incidents/<id:incident_id>/updates", methods=["POST"])
@api.arguments(s.IncidentUpdateIn)
@api.response(201, s.IncidentUpdateOut)
def post_incident_update(data, incident_id: int):
    """Post an update on an open incident (staff scope); followers are notified."""
    incident = _incident(incident_id)
    auth.need("write")
    auth.need("staff", can_manage_incidents, incident)
    with boundary():
        update = incident_services.post_update(incident, actor=auth.caller(), state=data["state"], body=data["body"])
    return present.incident_update(update)


# --- the staff queue and private cases ------------------------------------------------


@api.route("/staff/queue")
@api.arguments(s.QueueQuery, location="query")
@api.response(200, s.Queue)
def staff_queue(args):
    """Topics waiting for a response, oldest wait first (the staff queue)."""
    auth.need("staff", can_view_staff_queue)
    category_id = None
    if args.get("category"):
        category = topic_queries.category_by_slug(args["category"])
        if category is None:
            raise _not_found("That board")
        category_id = category.id
    queue = helpdesk_queries.staff_queue(args["page"], category_id, show=args["show"], viewer_id=auth.caller().id)
    return {
        "items": [{"topic": present.topic_summary(e.topic), "waiting_seconds": int(e.waited.total_seconds()),
                   "target_hours": e.target_hours, "level": e.level,
                   "claimed_by": present.user_ref(e.topic.claimed_by)} for e in queue.entries],
        "page": queue.page, "has_next": queue.has_next, "waiting": queue.waiting,
    }


@api.route("/cases")
@api.arguments(s.CaseQuery, location="query")
@api.response(200, s.CaseList)
def list_cases(args):
    """Private cases (topics continued privately with the asker), newest first; Customer Care only."""
    auth.need("staff", can_use_staff_inbox)
    page = queries.private_cases(args["page"], is_open=args.get("open"))
    return {"items": [present.case_summary(c) for c in page.items], "pagination": present.page_info(page)}


def _case(case_id: int):
    conversation = queries.get_case(case_id)
    if conversation is None:
        raise _not_found("That case")
    auth.need("staff", can_read_conversation, conversation, hide=True)
    return conversation


@api.route("/cases/<id:case_id>")
@api.response(200, s.CaseDetail)
def get_case(case_id: int):
    """One private case with its messages; Customer Care only."""
    conversation = _case(case_id)
    return {**present.case_summary(conversation),
            "messages": [{"id": m.id, "author": present.user_ref(m.author), "body_html": m.body_html,
                          "created_at": m.created_at} for m in queries.case_messages(conversation)]}


@api.route("/cases/<id:case_id>/close", methods=["POST"])
@api.arguments(s.CaseCloseIn)
@api.response(200, s.CaseClosed)
def close_case(data, case_id: int):
    """Close a private case, optionally posting a public resolution note in its topic (a CRM's post-back)."""
    conversation = _case(case_id)
    auth.need("write")
    auth.need("staff", can_close_private_case, conversation)
    if conversation.is_closed:
        raise ApiError(409, "conflict", "That case is already closed.")
    note = data.get("note")
    if note:
        _guard(note, confirmed=False)
    with boundary():
        reply = escalation.close_case(conversation, actor=auth.caller(), note=note)
    return {"case": present.case_summary(conversation), "resolution_post": present.post(reply, auth.caller())}


# --- people ---------------------------------------------------------------------------


@api.route("/users/<username>")
@api.response(200, s.Profile)
def get_user(username: str):
    """A member's public profile (never their email)."""
    auth.need("read", lambda u, _: True)
    user = account_services.get_user_by_username(username[:60])
    if user is None:
        raise _not_found("That member")
    return {**present.user_ref(user), "created_at": user.created_at, "stats": account_queries.profile_stats(user)}


@api.route("/me")
@api.response(200, s.Me)
def me():
    """The token's own user and scopes (a token check for integrations)."""
    auth.need("read")
    token = g.api_token
    return {"user": present.user_ref(auth.caller()), "kind": token.kind, "scopes": sorted(token.scope_set),
            "name": token.name}


__all__ = ["ActionError", "api", "init_api"]
