"""The API's one error shape: ``{"error": {"code", "message"}}`` with a 4xx status
(``fields`` too when the input was refused field by field)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from werkzeug.exceptions import HTTPException

from forum.actions import ActionError

#: The ``code`` for a status, where nothing more specific applies.
CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "rate_limited",
}


class ApiError(Exception):
    """An API refusal; the handler turns it into the JSON error."""

    def __init__(self, status: int, code: str, message: str, *, fields: dict | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields, self.headers = status, code, message, fields, headers


def error_response(status: int, code: str, message: str, *, fields: dict | None = None, headers: dict | None = None):
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_action_error(error: ActionError) -> ApiError:
    """A service's refusal (``ActionError``: wrong input, not allowed, gone, a conflict)."""
    status = error.status if 400 <= error.status < 500 else 400
    fields = {error.field: [error.message]} if error.field else None
    return ApiError(status, CODES.get(status, "bad_request"), error.message, fields=fields)


def handle_api_error(exc: ApiError):
    return error_response(exc.status, exc.code, exc.message, fields=exc.fields, headers=exc.headers)


def handle_http_exception(exc: HTTPException):
    """Werkzeug's and webargs' aborts (flask-smorest's 422 carries the field messages)."""
    status = exc.code or 500
    if status >= 500:
        return error_response(status, "server_error", "Something went wrong on our side.")
    fields = None
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if isinstance(messages, dict):
        # webargs nests by location ({"json": {"body": [...]}}); the location says little.
        fields = {}
        for value in messages.values():
            if isinstance(value, dict):
                fields.update({str(k): v for k, v in value.items()})
    message = {
        400: "The request could not be read (is the body valid JSON?).",
        404: "Not found.",
        405: "That method is not allowed here.",
        413: "The request is too large.",
        415: "Send JSON (Content-Type: application/json).",
        422: "Some fields were refused; see fields.",
    }.get(status, exc.description or "Refused.")
    if status == 400 and isinstance(messages, dict) and not fields:
        message = "The body is not valid JSON."
    return error_response(status, CODES.get(status, "bad_request"), message, fields=fields or None)
