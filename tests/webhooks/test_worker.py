"""One delivery through a real Celery worker (Redis broker, ``FORUM_TEST_REDIS_URL``):
the web process only writes and relays the job; the worker makes the signed request."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Category, User, WebhookDelivery
from forum.topics import services as topics
from tests.jobs.test_broker import Worker, _wait


@pytest.fixture(scope="module")
def redis_worker(app, tmp_path_factory):
    url = os.environ.get("FORUM_TEST_REDIS_URL")
    if not url:
        if os.environ.get("FORUM_REQUIRE_BROKERS"):
            pytest.fail("FORUM_TEST_REDIS_URL is not set and FORUM_REQUIRE_BROKERS is")
        pytest.skip("FORUM_TEST_REDIS_URL not set")
    worker = Worker(app, url, tmp_path_factory.mktemp("webhook-worker"))
    worker.env["FORUM_WEBHOOKS_ALLOW_PRIVATE"] = "true"
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(app.config, "BROKER_URL", url)
        mp.setitem(app.config, "JOBS_QUEUE", worker.queue)
        mp.setitem(app.config, "JOBS_REMOTE_CONTROL", False)
        worker.start()
        try:
            yield worker
        finally:
            worker.stop()
            worker.delete_queue()


def test_the_worker_delivers_a_signed_event(app, receiver, endpoint, make_user, board, redis_worker):
    endpoint(["topic.created"])
    member = make_user()
    with app.app_context():
        topics.create_topic(db.session.get(Category, board["id"]), author=db.session.get(User, member["id"]),
                            title="Roaming charges in Spain look wrong", body="Charged twice for data.")
        db.session.commit()
    _wait(lambda: receiver.requests, 30, "the worker's request")
    assert receiver.events == ["topic.created"]
    assert receiver.requests[0]["signature_ok"]

    def delivered():
        with app.app_context():
            return db.session.scalar(select(WebhookDelivery.state)) == "delivered"

    _wait(delivered, 20, "the delivery to be marked delivered")
