"""Jobs on a real broker (Redis and RabbitMQ) with a real Celery worker subprocess.

The broker URLs come from ``FORUM_TEST_REDIS_URL`` and ``FORUM_TEST_AMQP_URL``; a
missing one skips its tests, unless ``FORUM_REQUIRE_BROKERS`` is set (CI), where it
fails. Each test uses its own queue, named ``jobs_<random>``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Notification
from forum.models.jobs import JobOutbox
from forum.notify import notify
from tests.conftest import read_outbox

ROOT = Path(__file__).resolve().parents[2]
BROKERS = [pytest.param("FORUM_TEST_REDIS_URL", id="redis"), pytest.param("FORUM_TEST_AMQP_URL", id="amqp")]


@pytest.fixture(scope="module", params=BROKERS)
def broker_url(request):
    url = os.environ.get(request.param)
    if not url:
        if os.environ.get("FORUM_REQUIRE_BROKERS"):
            pytest.fail(f"{request.param} is not set and FORUM_REQUIRE_BROKERS is")
        pytest.skip(f"{request.param} not set")
    return url


def _wait(predicate, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Worker:
    """One worker subprocess on its own queue, for the tests of one module and broker."""

    def __init__(self, app, broker_url: str, tmp_path: Path):
        self.queue = f"jobs_{uuid.uuid4().hex[:10]}"
        self.app = app
        self.log = tmp_path / "worker.log"
        self.slow_marker = tmp_path / "slow-mail.pid"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "FORUM_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "FORUM_BROKER_URL": broker_url,
            "FORUM_JOBS_QUEUE": self.queue,
            "FORUM_JOBS_REMOTE_CONTROL": "false",
            "FORUM_JOBS_BACKOFF_SECONDS": "0.3",
            "FORUM_JOBS_IMPORTS": json.dumps(["tests.jobs.worker_tasks"]),
            "FORUM_TEST_SLOW_MAIL_MARKER": str(self.slow_marker),
            "FORUM_MAIL_OUTBOX": app.config["MAIL_OUTBOX"],
            "FORUM_SECRET_KEY": app.config["SECRET_KEY"],
            "FORUM_INSTANCE_PATH": str(tmp_path / "worker-instance"),
            "FORUM_SITE_URL": "http://localhost",
            "FORUM_SEARCH_INLINE_INDEXER": "false",
        }
        self.proc: subprocess.Popen | None = None

    def start(self):
        cmd = [str(Path(sys.executable).parent / "forum"), "jobs", "worker", "--pool=prefork", "--concurrency=1",
               "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{self.queue}@%h"]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(cmd, env=self.env, cwd=str(ROOT), stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        _wait(lambda: "ready." in self.log.read_text(errors="replace") or self.proc.poll() is not None,
              30, "the worker to start")
        assert self.proc.poll() is None, self.log.read_text(errors="replace")[-3000:]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # nothing of value is running by now
            self.proc.wait(10)

    def delete_queue(self):
        from forum.jobs.celery_app import celery_for

        with celery_for(self.app).connection_for_write() as conn:
            try:
                conn.default_channel.queue_delete(self.queue)
            except Exception:  # noqa: S110 - best effort: the queue may not exist
                pass
        if self.app.config["BROKER_URL"].startswith("redis"):  # kombu keeps the queue's bindings
            import redis

            client = redis.Redis.from_url(self.app.config["BROKER_URL"])
            client.delete(f"_kombu.binding.{self.queue}", f"_kombu.binding_permanent.{self.queue}")
            client.close()


@pytest.fixture(scope="module")
def worker(app, broker_url, tmp_path_factory):
    worker = Worker(app, broker_url, tmp_path_factory.mktemp("worker"))
    with pytest.MonkeyPatch.context() as mp:
        # This process relays to the worker's queue instead of running jobs itself.
        mp.setitem(app.config, "BROKER_URL", broker_url)
        mp.setitem(app.config, "JOBS_QUEUE", worker.queue)
        mp.setitem(app.config, "JOBS_REMOTE_CONTROL", False)
        worker.start()
        try:
            yield worker
        finally:
            worker.stop()
            worker.delete_queue()


def _job_states(app) -> dict[str, list[str]]:
    with app.app_context():
        states: dict[str, list[str]] = {}
        for row in db.session.scalars(select(JobOutbox).order_by(JobOutbox.id)):
            states.setdefault(row.task, []).append(row.state)
        return states


def _notify(app, user_id: int, text: str = "Bob replied to your post.") -> None:
    with app.app_context():
        notify([user_id], kind="reply", text=text, url="/t/1", category="replies")
        db.session.commit()


def test_the_worker_writes_the_notification_and_mails_it(app, make_user, worker):
    user = make_user("ann")
    _notify(app, user["id"])
    assert read_outbox(app) == []  # the web process only relayed the job
    [msg] = _wait(lambda: read_outbox(app), what="the mail")
    assert msg["To"] == "ann@example.test"
    assert "Bob replied to your post." in msg.get_content()
    _wait(lambda: _job_states(app) == {"notify.fanout": ["done"], "mail.send": ["done"]}, what="the jobs to finish")
    with app.app_context():
        note = db.session.scalar(select(Notification))
        assert note.user_id == user["id"]
        assert note.emailed_at is not None


def test_a_failing_job_is_retried_with_backoff(app, worker, tmp_path):
    from forum import jobqueue
    from tests.jobs import worker_tasks  # noqa: F401 - registers test.flaky_once here too

    with app.app_context():
        row = jobqueue.enqueue("test.flaky_once", {"note": "job 7", "marker": str(tmp_path / "flaky")})
        db.session.commit()
        row_id = row.id
    _wait(lambda: _job_states(app) == {"test.flaky_once": ["done"]}, what="the retried job")
    with app.app_context():
        row = db.session.get(JobOutbox, row_id)
        assert row.attempts == 1
        assert "first try of job 7 fails" in row.last_error


def test_a_worker_killed_mid_task_mails_exactly_once(app, make_user, worker):
    """SIGKILL the pool process after it delivered the mail and before its commit: the
    job is delivered again (acks_late, reject_on_worker_lost), finds the mail already
    there for its key, and finishes: one mail."""
    marker = worker.slow_marker
    user = make_user("ann")
    _notify(app, user["id"], "SLOW: Bob replied to your post.")
    pid = int(_wait(lambda: marker.exists() and marker.read_text(), what="the mail job to hang"))
    assert len(read_outbox(app)) == 1
    assert _job_states(app)["mail.send"] == ["relayed"]
    os.kill(pid, signal.SIGKILL)
    _wait(lambda: _job_states(app).get("mail.send") == ["done"], 30, "the redelivered job")
    assert worker.proc.poll() is None  # the worker itself lives on with a new pool process
    assert len(read_outbox(app)) == 1
    with app.app_context():
        assert db.session.scalar(select(Notification)).emailed_at is not None


def test_a_crash_between_commit_and_relay_is_relayed_by_the_sweep(app, make_user, worker):
    """The web process died right after its commit: nothing reached the broker. The
    sweep (beat's `jobs.sweep`) sends the row, and the worker mails once."""
    from datetime import timedelta

    from forum.jobs import relay
    from forum.models.base import utcnow

    user = make_user("ann")
    saved = app.extensions["forum_jobs_relay"]
    app.extensions["forum_jobs_relay"] = lambda app, ids: None  # the crash
    try:
        _notify(app, user["id"])
    finally:
        app.extensions["forum_jobs_relay"] = saved
    time.sleep(0.5)
    assert _job_states(app) == {"notify.fanout": ["pending"]}
    assert read_outbox(app) == []
    with app.app_context():
        assert relay.sweep(now=utcnow() + timedelta(seconds=30))["relayed"] == 1
    [msg] = _wait(lambda: read_outbox(app), what="the mail")
    assert msg["To"] == "ann@example.test"
    _wait(lambda: _job_states(app) == {"notify.fanout": ["done"], "mail.send": ["done"]}, what="the jobs to finish")
