"""The Celery app for one Flask app: settings from ``forum/config.py``, every task run
inside an application context, jobs acknowledged late and re-queued when the worker
process dies, retries with exponential backoff."""

from __future__ import annotations

from celery import Celery, Task
from celery.signals import worker_process_init
from flask import Flask

from forum import jobqueue

#: Celery task names (one generic task per kind; the job's own name is on its row).
RUN = "forum.jobs.run"
PERIODIC = "forum.jobs.periodic"


def backoff(attempt: int, base: float) -> float:
    """Seconds before retry number ``attempt`` (1, 2, ...): base, 2*base, 4*base, ... ≤ 1 h."""
    return float(min(base * 2 ** max(attempt - 1, 0), 3600))


def celery_for(app: Flask) -> Celery:
    """The Celery app bound to ``app`` (made once per broker URL)."""
    url = app.config["BROKER_URL"]
    cache = app.extensions.setdefault("forum_celery", {})
    if url not in cache:
        cache[url] = _make(app, url)
    return cache[url]


def _make(flask_app: Flask, url: str) -> Celery:
    cfg = flask_app.config

    class AppContextTask(Task):
        def __call__(self, *args, **kwargs):
            with flask_app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery("forum", task_cls=AppContextTask, set_as_current=False)
    celery.conf.update(
        broker_url=url,
        broker_connection_retry_on_startup=True,
        task_default_queue=cfg["JOBS_QUEUE"],
        task_acks_late=True,  # acknowledged when done: a killed worker's job is delivered again
        task_reject_on_worker_lost=True,  # ... also when the pool process dies mid-task
        worker_prefetch_multiplier=1,  # a slow job does not hold others hostage
        task_ignore_result=True,  # jobs record their outcome on their outbox row
        broker_transport_options={"visibility_timeout": cfg["JOBS_VISIBILITY_TIMEOUT"]},
        worker_hijack_root_logger=False,
        beat_schedule=_beat_schedule(flask_app),
        timezone="UTC",
        imports=list(cfg["JOBS_IMPORTS"] or ()),
        worker_enable_remote_control=bool(cfg["JOBS_REMOTE_CONTROL"]),
    )

    @celery.task(name=RUN, bind=True, max_retries=None)
    def run_job(self, row_id: int) -> str:
        outcome = jobqueue.run(row_id)
        if outcome == "failed":
            delay = backoff(jobqueue.attempts(row_id), cfg["JOBS_BACKOFF_SECONDS"])
            raise self.retry(countdown=delay)
        return outcome

    @celery.task(name=PERIODIC)
    def run_periodic(name: str):
        result = jobqueue.run_periodic(name)
        return result if isinstance(result, int | str | None) else None

    @worker_process_init.connect(weak=False)
    def _fresh_connections(**kwargs) -> None:
        # A forked pool process must not share the parent's database connections.
        from forum.extensions import db

        with flask_app.app_context():
            db.engine.dispose(close=False)

    return celery


def _beat_schedule(flask_app: Flask) -> dict:
    from forum.jobs.schedule import SCHEDULE

    entries = {}
    for name, when in SCHEDULE.items():
        if name not in jobqueue.PERIODIC:
            flask_app.logger.info("beat: no periodic work registered as %r; left out", name)
            continue
        entries[name] = {"task": PERIODIC, "schedule": when, "args": (name,)}
    return entries
