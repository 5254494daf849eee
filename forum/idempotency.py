"""One-time submission tokens: a repeated submit of a posting form stores nothing new.

Every posting form has a :class:`SubmissionTokenField` (a hidden ``submission_token``).
Its value is made when the form is shown: the member's id and 16 random bytes, signed
with the app's secret key (itsdangerous), so it cannot be guessed or moved to another
account, and it expires after ``SUBMISSION_TOKEN_HOURS``. Showing a form stores nothing.

The view's write block claims the token first and records where the first submit led::

    with action(form, field="body") as done:
        idempotency.claim(form)                 # a used token: redirect to its first result
        post = services.reply_to_topic(...)
        idempotency.record(form, url_for("topics.permalink", post_id=post.id))

:func:`claim` inserts a :class:`~forum.models.SubmissionRecord` row (unique per member
and token) with ``INSERT ... ON CONFLICT DO NOTHING`` in the post's own transaction. A
retry after the first commit finds the row and is answered with a redirect to the first
result; a retry racing the first waits on the unique index (PostgreSQL) or the write lock
(SQLite), then finds the committed row the same way. When the first submit fails, its row
rolls back with it and the token stays usable.

A form sent without a token, with another member's token, or with an expired one comes
back (422) with the member's text and a fresh token ("check it and send it again"):
friendly to a form left open in a tab, and it never stores anything twice.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import abort, current_app, flash, g, redirect
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from wtforms import HiddenField
from wtforms.validators import ValidationError

from forum.extensions import db
from forum.models import SubmissionRecord
from forum.models.base import utcnow

FIELD_NAME = "submission_token"
_SALT = "forum-submission-token"
#: Longest token looked at (ours are about 90 characters).
_TOKEN_MAX = 200

STALE_MESSAGE = ("This form was open for a long time or came from another session, so it was not sent. "
                 "Check your text and send it again.")
REPEATED_MESSAGE = "You had already sent that; here it is."


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def _max_age() -> int:
    return int(current_app.config.get("SUBMISSION_TOKEN_HOURS", 24)) * 3600


def new_token(user_id: int) -> str:
    """A fresh token for ``user_id``'s next submit of one form."""
    return _serializer().dumps([int(user_id), secrets.token_urlsafe(16)])


def _current_token() -> str:
    """The field's default: a token for the signed-in member (none for visitors, whose
    forms are never accepted anyway and whose pages may be cached)."""
    if getattr(current_user, "is_authenticated", False):
        return new_token(current_user.id)
    return ""


def _nonce(token: str, user_id: int) -> str | None:
    """The random part of a valid token of ``user_id``; ``None`` for anything else."""
    if not isinstance(token, str) or not token or len(token) > _TOKEN_MAX:
        return None
    try:
        owner, nonce = _serializer().loads(token, max_age=_max_age())
    except (BadSignature, SignatureExpired, TypeError, ValueError):
        return None
    if owner != user_id or not isinstance(nonce, str) or not 10 <= len(nonce) <= 40:
        return None
    return nonce


class SubmissionTokenField(HiddenField):
    """The hidden one-time token of a posting form. Validation refuses a missing,
    expired or foreign token and puts a fresh one in the form it comes back with."""

    def __init__(self, label: str | None = None, **kwargs):
        kwargs.setdefault("default", _current_token)
        super().__init__(label, **kwargs)
        self.nonce: str | None = None

    def pre_validate(self, form) -> None:
        user_id = current_user.id if getattr(current_user, "is_authenticated", False) else None
        given = self.raw_data[0] if self.raw_data else ""
        self.nonce = _nonce(given, user_id) if user_id is not None else None
        if self.nonce is None:
            self.data = _current_token()
            raise ValidationError(STALE_MESSAGE)


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("ascii")).hexdigest()


def _field(form) -> SubmissionTokenField:
    field = form._fields.get(FIELD_NAME)
    if not isinstance(field, SubmissionTokenField) or field.nonce is None:
        raise RuntimeError("claim() needs a validated form with a SubmissionTokenField")
    return field


def _first_result(user_id: int, token_hash: str) -> str | None:
    return db.session.scalar(select(SubmissionRecord.result_url).where(
        SubmissionRecord.user_id == user_id, SubmissionRecord.token_hash == token_hash))


def _replay(url: str | None) -> None:
    g._forum_submission_replayed = True
    flash(REPEATED_MESSAGE, "info")
    abort(redirect(url or "/"))


def replayed() -> bool:
    """Whether this request was a repeated submit answered with its first result (the
    posting limits do not count it)."""
    return bool(g.get("_forum_submission_replayed"))


def check(form) -> None:
    """Answer a repeated submit with a redirect to its first result (raised as an HTTP
    exception, so the block rolls back and stores nothing); for views with a step before
    the write (the Q&A "similar questions" check), which call :func:`claim` later."""
    field = _field(form)
    first = _first_result(current_user.id, _hash(field.nonce))
    if first is not None:
        _replay(first)


def claim(form) -> None:
    """Take the form's token for this submit, before any work, in the write's own
    transaction. A token used before answers the request with a redirect to the first
    result (see :func:`check`)."""
    check(form)
    field = _field(form)
    user_id = current_user.id
    token_hash = _hash(field.nonce)
    now = utcnow()
    # Old rows are of no use once their tokens expired: drop this member's.
    db.session.execute(delete(SubmissionRecord).where(
        SubmissionRecord.user_id == user_id,
        SubmissionRecord.created_at < now - timedelta(seconds=2 * _max_age())))
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (dialect.insert(SubmissionRecord.__table__)
            .values(user_id=user_id, token_hash=token_hash, result_url="", created_at=now)
            .on_conflict_do_nothing().returning(SubmissionRecord.__table__.c.id))
    if db.session.execute(stmt).scalar() is None:  # a concurrent submit committed first
        _replay(_first_result(user_id, token_hash))
    field.claimed = token_hash


def record(form, url: str) -> None:
    """Store where this submit led (a site path), in the same transaction as the post."""
    field = _field(form)
    token_hash = getattr(field, "claimed", None)
    if token_hash is None:
        raise RuntimeError("record() without claim()")
    db.session.execute(update(SubmissionRecord)
                       .where(SubmissionRecord.user_id == current_user.id, SubmissionRecord.token_hash == token_hash)
                       .values(result_url=url[:500]).execution_options(synchronize_session=False))
