"""The relay: outbox rows to the queue after their commit, and the sweep for what a
crash left behind (``forum.jobqueue`` writes the rows)."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import delete, or_, select, update

from forum import jobqueue
from forum.extensions import db
from forum.models.base import utcnow
from forum.models.jobs import JobOutbox


def install(app: Flask) -> None:
    app.extensions["forum_jobs_relay"] = relay


def relay(app: Flask, ids: list[int]) -> None:
    """Hand committed job rows on: to Celery with a broker, else run them here, now."""
    with app.app_context():
        if app.config.get("BROKER_URL"):
            _publish(ids)
            return
        for row_id in ids:
            jobqueue.run(row_id)  # sets relayed_at with done_at, in the job's own commit


def _mark_relayed(ids: list[int]) -> None:
    db.session.execute(update(JobOutbox).where(JobOutbox.id.in_(ids)).values(relayed_at=utcnow()))
    db.session.commit()


def _publish(ids: list[int]) -> int:
    """Send each job to the broker, then mark it relayed. A broker that is down leaves
    the rows unrelayed for the sweep; a crash after sending and before marking only
    sends the job twice, which its done-marker makes harmless."""
    from forum.jobs.celery_app import RUN, celery_for

    celery = celery_for(current_app)
    sent = []
    try:
        for row_id in ids:
            celery.send_task(RUN, args=(row_id,), queue=current_app.config["JOBS_QUEUE"])
            sent.append(row_id)
    except Exception:  # the broker is unreachable: the sweep relays them later
        current_app.logger.exception("job relay: broker unavailable; %d job(s) left for the sweep", len(ids) - len(sent))
    if sent:
        _mark_relayed(sent)
    return len(sent)


def sweep(*, now=None, limit: int = 500) -> dict:
    """Relay rows no one relayed (a crash between the commit and the relay) or that were
    relayed long ago and never finished (a lost message, an in-process failure), and
    delete finished rows older than ``JOBS_KEEP_DAYS``."""
    cfg = current_app.config
    now = now or utcnow()
    stale = now - timedelta(seconds=cfg["JOBS_STALE_SECONDS"])
    # A row just committed is about to be relayed by its own transaction: leave it a moment.
    fresh = now - timedelta(seconds=min(10, cfg["JOBS_STALE_SECONDS"]))
    ids = list(db.session.scalars(
        select(JobOutbox.id)
        .where(JobOutbox.done_at.is_(None), JobOutbox.dead_at.is_(None),
               or_(JobOutbox.relayed_at.is_(None) & (JobOutbox.created_at <= fresh), JobOutbox.relayed_at <= stale))
        .order_by(JobOutbox.id).limit(limit)
    ))
    deleted = db.session.execute(
        delete(JobOutbox).where(JobOutbox.done_at < now - timedelta(days=cfg["JOBS_KEEP_DAYS"]))
    ).rowcount
    db.session.commit()
    if ids:
        relay(current_app._get_current_object(), ids)
    return {"relayed": len(ids), "deleted": deleted or 0}


@jobqueue.periodic("jobs.sweep")
def _sweep_periodic() -> int:
    return sweep()["relayed"]


def dead_letters(limit: int = 100) -> list[JobOutbox]:
    """The dead letters, newest first (the admin page)."""
    return list(db.session.scalars(
        select(JobOutbox).where(JobOutbox.dead_at.is_not(None), JobOutbox.done_at.is_(None))
        .order_by(JobOutbox.dead_at.desc(), JobOutbox.id.desc()).limit(limit)
    ))


def retry_dead(row: JobOutbox) -> bool:
    """Give a dead letter another round of attempts; relayed after the commit. Flushes."""
    if row.dead_at is None or row.done_at is not None:
        return False
    row.dead_at = None
    row.attempts = 0
    row.relayed_at = None
    db.session.flush()
    from forum.aftercommit import after_commit

    app = current_app._get_current_object()
    row_id = row.id
    after_commit(lambda: relay(app, [row_id]))
    return True
