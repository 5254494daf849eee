"""Background jobs through a transactional outbox (core: every feature may declare jobs).

A feature declares its work once::

    @job("mail.send")
    def send(*, to, subject, body, headers, key): ...      # flushes, never commits

and a service enqueues it inside its own transaction::

    enqueue("mail.send", {...}, key="mail:...")

:func:`enqueue` writes a ``job_outbox`` row in the SAME transaction as the change, so a
rollback drops the job and a commit keeps it even if the process dies right after. After
the commit the row is relayed: to Celery when ``FORUM_BROKER_URL`` is set
(``forum.jobs.relay``), otherwise the same function runs in-process at once. A periodic
sweep relays what a crash left behind.

:func:`run` is the one way a job executes: it reads its row in its own transaction
(``FOR UPDATE`` on PostgreSQL), skips it if the row is already done, runs the function,
and sets ``done_at`` in that same transaction. A retried or redelivered job therefore
never does its work twice. A failure is counted on the row; after ``JOBS_MAX_ATTEMPTS``
the row is a dead letter (``/admin/jobs``).

:func:`periodic` declares the work Celery beat runs on a schedule
(``forum/jobs/schedule.py``); each is also a ``forum ...`` command for cron.
"""

from __future__ import annotations

import traceback
import uuid
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from forum.aftercommit import _STATE, after_commit, transaction_state
from forum.extensions import db
from forum.models.base import utcnow
from forum.models.jobs import JobOutbox

#: Registered job functions by task name.
TASKS: dict[str, Callable[..., Any]] = {}
#: Registered periodic functions by name (each commits its own work: see :func:`run_periodic`).
PERIODIC: dict[str, Callable[[], Any]] = {}

_IDS = "forum_jobs_enqueued"
_BUILDERS = "forum_jobs_at_commit"


def job(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn`` as the job ``name``; it is called with the payload's keys as
    keyword arguments inside the job's transaction, and must only flush."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        TASKS[name] = fn
        return fn

    return register


def periodic(name: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Register ``fn`` as periodic work ``name`` (scheduled in ``forum/jobs/schedule.py``)."""

    def register(fn: Callable[[], Any]) -> Callable[[], Any]:
        PERIODIC[name] = fn
        return fn

    return register


def enqueue(task: str, payload: dict | None = None, *, key: str | None = None) -> JobOutbox:
    """Write the job's outbox row in the current transaction; it is relayed after the
    commit. ``key`` names the event (unique; default: a new one); the payload must be
    JSON."""
    if task not in TASKS:
        raise KeyError(f"no job registered as {task!r}")
    row = JobOutbox(task=task, payload=payload or {}, key=key or f"{task}:{uuid.uuid4().hex}")
    db.session.add(row)
    state = transaction_state()
    rows = state.get(_IDS)
    if rows is None:
        rows = state[_IDS] = []
        app = current_app._get_current_object()
        after_commit(lambda: _relay_after_commit(app, rows))
    rows.append(row)
    return row


def enqueue_at_commit(task: str, build: Callable[[], dict | None], *, key: str | None = None) -> None:
    """Enqueue ``task`` at the commit, with the payload ``build()`` returns then (None:
    nothing to do). For work that collects its payload during the transaction (the
    notification fan-out); the row is still written in the transaction."""
    transaction_state().setdefault(_BUILDERS, []).append((task, build, key))


@event.listens_for(Session, "before_commit")
def _build_at_commit(session: Session) -> None:
    builders = session.info.get(_STATE, {}).pop(_BUILDERS, None)  # transaction_state() without opening one
    for task, build, key in builders or ():
        payload = build()
        if payload is not None:
            enqueue(task, payload, key=key)


def _relay_after_commit(app, rows: list[JobOutbox]) -> None:
    ids = [r.id for r in rows if r.id is not None]
    if not ids:
        return
    relay = app.extensions.get("forum_jobs_relay")
    if relay is not None:
        relay(app, ids)
    else:  # no relay registered (a bare app): run them here, as without a broker
        for row_id in ids:
            run_in_new_context(app, row_id)


def run_in_new_context(app, row_id: int) -> str:
    """Run a job in a fresh application context (its own ``db.session``)."""
    with app.app_context():
        return run(row_id)


def run(row_id: int) -> str:
    """Execute the job in its own transaction, once: ``done``, ``skipped`` (already done,
    dead, or gone), ``failed`` (counted; will be retried) or ``dead``."""
    session = db.session
    row = session.get(JobOutbox, row_id, with_for_update=True, populate_existing=True)
    if row is None or row.done_at is not None or row.dead_at is not None:
        session.rollback()
        return "skipped"
    fn = TASKS.get(row.task)
    if row.relayed_at is None:
        row.relayed_at = utcnow()  # run in-process: relayed and run in one commit
    try:
        if fn is None:
            raise LookupError(f"no job registered as {row.task!r} in this process")
        fn(**row.payload)
        row.done_at = utcnow()
        session.commit()
        return "done"
    except Exception as exc:  # counted on the row; the caller retries with backoff
        session.rollback()
        current_app.logger.error("job %s (%s) failed: %s", row_id, row.task if row else "?", exc)
        return _record_failure(row_id, exc)


def _record_failure(row_id: int, exc: BaseException) -> str:
    session = db.session
    row = session.get(JobOutbox, row_id, with_for_update=True, populate_existing=True)
    if row is None or row.done_at is not None:
        session.rollback()
        return "skipped"
    row.attempts = (row.attempts or 0) + 1
    if row.relayed_at is None:  # the sweep retries it after JOBS_STALE_SECONDS
        row.relayed_at = utcnow()
    row.last_error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
    dead = row.attempts >= current_app.config["JOBS_MAX_ATTEMPTS"]
    if dead:
        row.dead_at = utcnow()
    session.commit()
    return "dead" if dead else "failed"


def attempts(row_id: int) -> int:
    """Failed runs recorded for a job (the backoff reads it)."""
    row = db.session.get(JobOutbox, row_id)
    return row.attempts if row is not None else 0


def run_periodic(name: str) -> Any:
    """Run periodic work ``name`` and commit it (rolls back on any error)."""
    fn = PERIODIC[name]
    try:
        result = fn()
        db.session.commit()
        return result
    except Exception:
        db.session.rollback()
        raise
