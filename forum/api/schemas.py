"""The API's marshmallow schemas: they serialise the answers, validate the input
(webargs, through flask-smorest) and are what the OpenAPI document is generated from
(apispec). One definition for all three."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from forum.models.cases import CASE_STATES

STATUS = ("all", "unanswered", "unresolved", "resolved")


class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"description": "A stable code: not_found, forbidden, invalid..."})
    message = fields.String(required=True, metadata={"description": "What went wrong, in words"})
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "Per-field messages, when input was refused"})


class Error(Schema):
    error = fields.Nested(ErrorBody, required=True)


class UserRef(Schema):
    """A person as others see them: never an email."""

    id = fields.Integer(required=True)
    username = fields.String(required=True, allow_none=True, metadata={"description": "null for a former member"})
    name = fields.String(required=True, metadata={"description": "The name shown on posts"})
    is_staff = fields.Boolean(required=True)
    badge = fields.String(required=True, allow_none=True, metadata={"description": "The staff badge, if staff"})


class Profile(UserRef):
    created_at = fields.DateTime(required=True)
    stats = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class CategoryRef(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)


class PostOut(Schema):
    id = fields.Integer(required=True)
    topic_id = fields.Integer(required=True)
    author = fields.Nested(UserRef, required=True)
    is_first = fields.Boolean(required=True)
    parent_id = fields.Integer(required=True, allow_none=True)
    depth = fields.Integer(required=True)
    is_hidden = fields.Boolean(required=True)
    body_html = fields.String(required=True, allow_none=True,
                              metadata={"description": "Sanitised HTML (forum/markup.py); null when hidden from you"})
    created_at = fields.DateTime(required=True)
    edited_at = fields.DateTime(required=True, allow_none=True)
    kudos = fields.Integer(required=True)
    url = fields.String(required=True)


class TopicSummary(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    category = fields.Nested(CategoryRef, required=True)
    author = fields.Nested(UserRef, required=True)
    state = fields.String(required=True, allow_none=True,
                          metadata={"description": "The case state: " + ", ".join(CASE_STATES)})
    issue_label = fields.String(required=True, allow_none=True)
    is_pinned = fields.Boolean(required=True)
    is_locked = fields.Boolean(required=True)
    reply_count = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    last_post_at = fields.DateTime(required=True)
    official_answer_post_id = fields.Integer(required=True, allow_none=True)
    solution_post_id = fields.Integer(required=True, allow_none=True)
    url = fields.String(required=True)


class TopicDetail(TopicSummary):
    first_post = fields.Nested(PostOut, required=True, allow_none=True)
    official_answer = fields.Nested(PostOut, required=True, allow_none=True)
    solution = fields.Nested(PostOut, required=True, allow_none=True)
    resolved_at = fields.DateTime(required=True, allow_none=True)
    has_private_case = fields.Boolean(required=True,
                                      metadata={"description": "Customer Care is handling this privately"})


class PageInfo(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class TopicList(Schema):
    items = fields.List(fields.Nested(TopicSummary), required=True)
    pagination = fields.Nested(PageInfo, required=True)


class PostList(Schema):
    items = fields.List(fields.Nested(PostOut), required=True)
    pagination = fields.Nested(PageInfo, required=True)


_page = {"load_default": 1, "validate": validate.Range(min=1, max=1000)}


class TopicQuery(Schema):
    category = fields.String(validate=validate.Length(min=1, max=80), metadata={"description": "A board's slug"})
    status = fields.String(load_default="all", validate=validate.OneOf(STATUS))
    page = fields.Integer(**_page)


class PageQuery(Schema):
    page = fields.Integer(**_page)


_body = fields.String(required=True, validate=validate.Length(min=1, max=20_000),
                      metadata={"description": "Markdown; sanitised when rendered"})
_confirm = fields.Boolean(load_default=False, metadata={
    "description": "Post even though the text looks like personal data (the pages' 'post anyway')"})


class TopicIn(Schema):
    category = fields.String(required=True, validate=validate.Length(min=1, max=80), metadata={"description": "slug"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=150))
    body = _body
    confirm_personal_data = _confirm


class ReplyIn(Schema):
    body = _body
    parent_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), allow_none=True)
    confirm_personal_data = _confirm


class SearchQuery(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=256))
    resolved = fields.Boolean(load_default=False)
    category = fields.String(validate=validate.Length(min=1, max=80))
    type = fields.String(validate=validate.OneOf(("topic", "reply", "qa")))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))


class SearchHit(Schema):
    kind = fields.String(required=True)
    title = fields.String(required=True)
    url = fields.String(required=True)
    category = fields.String(required=True)
    resolved = fields.Boolean(required=True)
    official = fields.Boolean(required=True)
    snippet_html = fields.String(required=True, metadata={"description": "Escaped text with <mark> around matches"})
    when = fields.DateTime(required=True, allow_none=True)


class SearchResults(Schema):
    q = fields.String(required=True)
    items = fields.List(fields.Nested(SearchHit), required=True)
    pagination = fields.Nested(PageInfo, required=True)
    suggestion = fields.String(required=True, allow_none=True)


class IncidentUpdateOut(Schema):
    id = fields.Integer(required=True)
    state = fields.String(required=True)
    body_html = fields.String(required=True)
    author = fields.Nested(UserRef, required=True)
    created_at = fields.DateTime(required=True)
    edited_at = fields.DateTime(required=True, allow_none=True)


class IncidentSummary(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    severity = fields.String(required=True)
    state = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)
    created_at = fields.DateTime(required=True)
    last_update_at = fields.DateTime(required=True)
    resolved_at = fields.DateTime(required=True, allow_none=True)
    url = fields.String(required=True)


class IncidentDetail(IncidentSummary):
    summary_html = fields.String(required=True, allow_none=True)
    updates = fields.List(fields.Nested(IncidentUpdateOut), required=True)


class IncidentList(Schema):
    open = fields.List(fields.Nested(IncidentSummary), required=True)
    past = fields.List(fields.Nested(IncidentSummary), required=True)
    pagination = fields.Nested(PageInfo, required=True, metadata={"description": "Of the past incidents"})


class IncidentUpdateIn(Schema):
    state = fields.String(required=True, validate=validate.Length(min=1, max=20))
    body = fields.String(required=True, validate=validate.Length(min=1, max=20_000))


class QueueQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=200))
    category = fields.String(validate=validate.Length(min=1, max=80))
    show = fields.String(load_default="all", validate=validate.OneOf(("all", "mine", "unassigned")))


class QueueItem(Schema):
    topic = fields.Nested(TopicSummary, required=True)
    waiting_seconds = fields.Integer(required=True)
    target_hours = fields.Integer(required=True)
    level = fields.String(required=True, metadata={"description": "ok, near or over the board's target"})
    claimed_by = fields.Nested(UserRef, required=True, allow_none=True)


class Queue(Schema):
    items = fields.List(fields.Nested(QueueItem), required=True)
    page = fields.Integer(required=True)
    has_next = fields.Boolean(required=True)
    waiting = fields.Integer(required=True, metadata={"description": "Topics waiting (counted up to 1,000)"})


class CaseQuery(Schema):
    open = fields.Boolean(metadata={"description": "Only open (true) or closed (false) cases"})
    page = fields.Integer(**_page)


class CaseMessage(Schema):
    id = fields.Integer(required=True)
    author = fields.Nested(UserRef, required=True)
    body_html = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class CaseSummary(Schema):
    id = fields.Integer(required=True)
    subject = fields.String(required=True)
    topic_id = fields.Integer(required=True)
    member = fields.Nested(UserRef, required=True, allow_none=True)
    is_closed = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)


class CaseDetail(CaseSummary):
    messages = fields.List(fields.Nested(CaseMessage), required=True)


class CaseList(Schema):
    items = fields.List(fields.Nested(CaseSummary), required=True)
    pagination = fields.Nested(PageInfo, required=True)


class CaseCloseIn(Schema):
    note = fields.String(validate=validate.Length(max=20_000), allow_none=True, metadata={
        "description": "A public resolution note, posted in the topic as a reply by the token's user"})


class CaseClosed(Schema):
    case = fields.Nested(CaseSummary, required=True)
    resolution_post = fields.Nested(PostOut, required=True, allow_none=True)


class NoteIn(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=5_000))


class NoteOut(Schema):
    id = fields.Integer(required=True)
    topic_id = fields.Integer(required=True)
    author = fields.Nested(UserRef, required=True)
    body_html = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class NoteList(Schema):
    items = fields.List(fields.Nested(NoteOut), required=True)


class Me(Schema):
    user = fields.Nested(UserRef, required=True)
    kind = fields.String(required=True, metadata={"description": "personal or service"})
    name = fields.String(required=True)
    scopes = fields.List(fields.String(), required=True)
