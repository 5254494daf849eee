"""The job outbox without a broker (the embedded default): the row is written in the
change's transaction, the job runs once after the commit, a crash before the relay
loses nothing, failures become dead letters an admin can retry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum import jobqueue
from forum.extensions import db
from forum.jobs import relay
from forum.mail import queue_mail
from forum.models.base import utcnow
from forum.models.jobs import JobOutbox
from forum.notify import notify
from tests.conftest import csrf_token, read_outbox
from tests.test_security_corpus import assert_page_safe


def _jobs(task=None):
    q = select(JobOutbox).order_by(JobOutbox.id)
    if task:
        q = q.where(JobOutbox.task == task)
    return list(db.session.scalars(q))


def test_a_mail_is_sent_after_the_commit_and_its_job_marked_done(app):
    with app.app_context():
        queue_mail("ann@example.test", "Hello", "Body")
        assert read_outbox(app) == []  # nothing before the commit
        db.session.commit()
        [row] = _jobs("mail.send")
        assert row.done_at is not None
        assert row.relayed_at is not None
        assert row.attempts == 0
    [msg] = read_outbox(app)
    assert msg["To"] == "ann@example.test"
    assert msg["Subject"] == "Hello"


def test_a_rollback_drops_the_job(app):
    with app.app_context():
        queue_mail("ann@example.test", "Hello", "Body")
        db.session.rollback()
        assert _jobs() == []
    assert read_outbox(app) == []


def test_running_a_finished_job_again_does_nothing(app):
    with app.app_context():
        queue_mail("ann@example.test", "Hello", "Body")
        db.session.commit()
        [row] = _jobs("mail.send")
        row_id = row.id
    with app.app_context():
        assert jobqueue.run(row_id) == "skipped"
    assert len(read_outbox(app)) == 1


def test_a_redelivered_mail_whose_commit_was_lost_is_not_sent_twice(app):
    """The worst crash: the mail went out, then the process died before its commit."""
    with app.app_context():
        queue_mail("ann@example.test", "Hello", "Body", key="mail:crash-test")
        app.extensions["forum_jobs_relay"], saved = (lambda app, ids: None), app.extensions["forum_jobs_relay"]
        try:
            db.session.commit()
        finally:
            app.extensions["forum_jobs_relay"] = saved
        [row] = _jobs("mail.send")
        row_id = row.id
        jobqueue.TASKS["mail.send"](**row.payload)  # delivered, but never marked done
        db.session.rollback()
    with app.app_context():
        assert jobqueue.run(row_id) == "done"
    assert len(read_outbox(app)) == 1


def test_a_crash_between_commit_and_relay_loses_nothing(app, make_user, runner):
    """The relay never ran (the process died right after the commit): the sweep
    (`forum jobs relay`, beat every minute) finds the rows and the member is mailed once."""
    user = make_user("ann")
    with app.app_context():
        app.extensions["forum_jobs_relay"], saved = (lambda app, ids: None), app.extensions["forum_jobs_relay"]
        try:
            notify([user["id"]], kind="reply", text="Bob replied to your post.", url="/t/1", category="replies")
            db.session.commit()
        finally:
            app.extensions["forum_jobs_relay"] = saved
        [row] = _jobs()
        assert row.task == "notify.fanout"
        assert row.relayed_at is None
        assert row.done_at is None
    assert read_outbox(app) == []
    # Too fresh for the sweep: its own relay may still be on the way.
    with app.app_context():
        assert relay.sweep()["relayed"] == 0
        summary = relay.sweep(now=utcnow() + timedelta(seconds=30))
        db.session.commit()
        assert summary["relayed"] == 1
        assert {r.task: r.state for r in _jobs()} == {"notify.fanout": "done", "mail.send": "done"}
    [msg] = read_outbox(app)
    assert msg["To"] == "ann@example.test"
    assert "Bob replied" in msg["Subject"]
    with app.app_context():  # a second sweep finds nothing more to do
        assert relay.sweep(now=utcnow() + timedelta(seconds=30))["relayed"] == 0
    assert len(read_outbox(app)) == 1
    result = runner.invoke(args=["jobs", "relay"])
    assert result.exit_code == 0
    assert "Relayed 0 job(s)" in result.output


@pytest.fixture
def failing_job(app, monkeypatch):
    """A registered job that fails until told otherwise."""
    state = {"fail": True, "runs": 0}

    def _flaky(*, note: str) -> None:
        state["runs"] += 1
        if state["fail"]:
            raise RuntimeError(f"the mail server said no to {note}")

    monkeypatch.setitem(jobqueue.TASKS, "test.flaky", _flaky)
    monkeypatch.setitem(app.config, "JOBS_MAX_ATTEMPTS", 2)
    return state


def _dead_letter(app, note="x") -> int:
    with app.app_context():
        row = jobqueue.enqueue("test.flaky", {"note": note})
        db.session.commit()
        row_id = row.id
    with app.app_context():  # the second failure makes it a dead letter
        assert jobqueue.run(row_id) == "dead"
        assert db.session.get(JobOutbox, row_id).state == "dead"
    return row_id


def test_a_job_that_keeps_failing_is_a_dead_letter(app, failing_job):
    row_id = _dead_letter(app)
    with app.app_context():
        row = db.session.get(JobOutbox, row_id)
        assert row.attempts == 2
        assert "the mail server said no" in row.last_error
        assert jobqueue.run(row_id) == "skipped"  # a dead letter is not run again by itself
    assert failing_job["runs"] == 2


def test_dead_letter_page_lists_and_retries(app, client, auth, make_user, failing_job):
    make_user("root", role="admin")
    row_id = _dead_letter(app, note="order 42")
    auth.login("root")
    page = client.get("/admin/jobs/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"#{row_id}" in html
    assert "test.flaky" in html
    assert "the mail server said no to order 42" in html
    # No CSRF token: refused with a message, nothing runs.
    resp = client.post(f"/admin/jobs/{row_id}/retry", data={})
    assert resp.status_code == 400
    assert "security token" in resp.get_data(as_text=True)
    assert failing_job["runs"] == 2
    failing_job["fail"] = False
    resp = client.post(f"/admin/jobs/{row_id}/retry", data={"csrf_token": csrf_token(client, "/admin/jobs/")})
    assert resp.status_code == 302
    assert failing_job["runs"] == 3
    with app.app_context():
        assert db.session.get(JobOutbox, row_id).state == "done"
    html = client.get("/admin/jobs/").get_data(as_text=True)
    assert "No failed jobs." in html
    assert f"Job #{row_id} queued again." in html
    assert client.post("/admin/jobs/999999/retry", data={"csrf_token": csrf_token(client, "/admin/jobs/")}).status_code == 404


@pytest.mark.parametrize("role", ["member", "moderator", "staff"])
def test_only_admins_see_the_dead_letters(app, client, auth, make_user, failing_job, role):
    row_id = _dead_letter(app)
    make_user("someone", role=role)
    auth.login("someone")
    assert client.get("/admin/jobs/").status_code == 403
    assert client.post(f"/admin/jobs/{row_id}/retry", data={"csrf_token": csrf_token(client, "/")}).status_code == 403
    with app.app_context():
        assert db.session.get(JobOutbox, row_id).state == "dead"


def test_visitors_are_sent_to_sign_in(app, client, failing_job):
    row_id = _dead_letter(app)
    assert client.get("/admin/jobs/").status_code == 302
    assert client.post(f"/admin/jobs/{row_id}/retry", data={}).status_code in (302, 400)
    with app.app_context():
        assert db.session.get(JobOutbox, row_id).state == "dead"


def test_errors_on_the_page_are_escaped(app, client, auth, make_user, corpus):
    """An error message may quote user text (an address, a title): shown as text only."""
    make_user("root", role="admin")
    auth.login("root")
    texts = [e.value if isinstance(e.value, str) else e.value.decode("utf-8", "replace") for e in corpus]
    for start in range(0, len(texts), 100):  # the page shows 100 at a time
        with app.app_context():
            db.session.execute(JobOutbox.__table__.delete())
            for n, value in enumerate(texts[start:start + 100]):
                db.session.add(JobOutbox(task="test.flaky", payload={}, key=f"k{start + n}", attempts=2,
                                         last_error=value.replace("\x00", ""), dead_at=utcnow()))
            db.session.commit()
        assert_page_safe(client.get("/admin/jobs/"), f"dead letters {start}")
