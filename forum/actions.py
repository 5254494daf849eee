"""The write pipeline's core: one error family and one request boundary.

Services raise :class:`ActionError` (or a subclass) for anything a user did wrong or
may not do; they flush and never commit. Views wrap the service call in
:class:`action`, which commits once, rolls back on the error family or an
``IntegrityError``, and turns the error into what the user sees: a message on the
form's field, a flashed message before a redirect, or a JSON body with the error's
status. CLI commands use :func:`cli_action`, which turns the same errors into a
``ClickException``. No view calls ``db.session.rollback()`` itself.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from flask import abort, flash, jsonify, make_response, request
from sqlalchemy.exc import IntegrityError

from forum.extensions import db


class ActionError(ValueError):
    """A refused action. ``message`` is shown to the user, next to ``field`` when the
    action came from a form that has that field; ``status`` is the HTTP status when
    the error answers the request itself (JSON requests)."""

    status = 400

    def __init__(self, message: str, field: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


class PermissionDenied(ActionError):
    """The actor may not do this (services re-check the views' predicates)."""

    status = 403


class NotFound(ActionError):
    """What the action is about does not exist (or may not be seen)."""

    status = 404


class Conflict(ActionError):
    """The action clashes with the current state (already done, changed meanwhile)."""

    status = 409


#: Shown when the database refuses a write because of a unique constraint that
#: a concurrent request satisfied first (a double submit, a race).
INTEGRITY_MESSAGE = "That was already done, perhaps in another tab. Reload the page to see the current state."


def wants_json() -> bool:
    """Whether the current request asked for JSON (an API client or our own scripts)."""
    return request.is_json or request.accept_mimetypes.best == "application/json"


def json_error(message: str, status: int, field: str | None = None):
    """The JSON answer for a refused request."""
    body: dict[str, Any] = {"error": message, "status": status}
    if field:
        body["field"] = field
    return make_response(jsonify(body), status)


class action:  # noqa: N801 - used as a statement: ``with action(form) as done:``
    """The request boundary, as a context manager::

        with action(form) as done:
            topic = services.create_topic(...)
        if done:
            return redirect(...)
        return render_template(...), 422

    On leaving the block without an exception it commits. On an :class:`ActionError`
    or an ``IntegrityError`` (raised in the block or by the commit) it rolls back,
    suppresses the exception and reports it:

    - JSON requests get ``{"error", "status", "field"}`` with the error's status;
    - with a ``form``, the message goes on ``form[error.field]``, else on
      ``form[field]`` (the form's main field), else in ``form.form_errors``;
    - without a form, the message is flashed as an error (the view then redirects).

    With ``quiet=True`` nothing is reported: the view shows ``done.error`` itself.
    Any other exception rolls back and propagates (a 500). ``done`` is true only
    after a successful commit; ``done.error`` holds the refusal otherwise.
    """

    def __init__(self, form: Any = None, *, field: str | None = None, integrity_message: str = INTEGRITY_MESSAGE,
                 quiet: bool = False):
        self.form = form
        self.field = field
        self.quiet = quiet
        self.integrity_message = integrity_message
        self.ok = False
        self.error: ActionError | None = None

    def __bool__(self) -> bool:
        return self.ok

    def __enter__(self) -> action:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            try:
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                self._refuse(ActionError(self.integrity_message, field=self.field, status=409))
                return False
            self.ok = True
            return False
        db.session.rollback()
        if issubclass(exc_type, IntegrityError):
            self._refuse(ActionError(self.integrity_message, field=self.field, status=409))
            return True
        if issubclass(exc_type, ActionError):
            self._refuse(exc)
            return True
        return False

    def _refuse(self, error: ActionError) -> None:
        self.error = error
        if self.quiet:
            return
        if wants_json():
            abort(json_error(error.message, error.status, error.field))
        if self.form is None:
            flash(error.message, "error")
            return
        field = None
        for name in (error.field, self.field):
            if name and name in self.form._fields:
                field = self.form[name]
                break
        if field is None:
            self.form.form_errors.append(error.message)
        else:
            field.errors = [*field.errors, error.message]


@contextmanager
def cli_action():
    """The boundary for CLI commands: commit once, or roll back and turn an
    :class:`ActionError` into a ``ClickException`` (exit status 1, the message)."""
    import click

    try:
        yield
        db.session.commit()
    except ActionError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    except BaseException:
        db.session.rollback()
        raise
