"""Deliveries to a real HTTP receiver on loopback: signed, retried with backoff, given
up, the endpoint switched off after the limit with a notice, nothing for a rollback."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from forum.extensions import db
from forum.jobqueue import run_periodic
from forum.models import Category, JobOutbox, Notification, User, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from forum.models.base import utcnow
from forum.topics import services as topics
from forum.webhooks import delivery, services


def _topic(app, author_id, category_id, title="No 4G signal in Leeds since Monday"):
    with app.app_context():
        topic = topics.create_topic(db.session.get(Category, category_id), author=db.session.get(User, author_id),
                                    title=title, body="Bars drop to nothing every evening around seven.")
        db.session.commit()
        return topic.id


def _retry_later(app, seconds=10**6):
    with app.app_context():
        queued = services.retry_due(now=utcnow() + timedelta(seconds=seconds))
        db.session.commit()
        return queued


def test_signed_delivery_of_topic_created(app, receiver, endpoint, make_user, board):
    endpoint_id = endpoint(["topic.created"])
    member = make_user("leeds_member", email="leeds.member@example.test")
    topic_id = _topic(app, member["id"], board["id"])
    assert len(receiver.requests) == 1
    req = receiver.requests[0]
    assert req["signature_ok"]
    assert req["path"] == "/hooks/forum?src=test"
    headers = req["headers"]
    assert headers["X-Forum-Event"] == "topic.created"
    assert headers["Content-Type"] == "application/json"
    payload = req["json"]
    assert payload["event"] == "topic.created"
    assert payload["event_id"] == headers["X-Forum-Event-Id"]
    assert payload["occurred_at"].endswith("Z")
    assert payload["data"]["topic"]["id"] == topic_id
    assert payload["data"]["topic"]["url"].endswith(f"/t/{topic_id}-no-4g-signal-in-leeds-since-monday")
    assert payload["data"]["topic"]["state"] == "waiting"
    assert "example.test" not in req["raw"].decode()  # never a member's email
    assert "Bars drop" not in req["raw"].decode()  # nor the post's text
    with app.app_context():
        row = db.session.scalar(select(WebhookDelivery))
        assert (row.state, row.attempts, row.endpoint_id) == ("delivered", 1, endpoint_id)
        attempt = db.session.scalar(select(WebhookAttempt))
        assert (attempt.status_code, attempt.ok, attempt.response_excerpt) == (200, True, '{"ok":true}')
        assert attempt.duration_ms >= 0


def test_signature_changes_with_timestamp_and_secret():
    body = '{"event":"ping"}'
    one = delivery.sign("s3cret", "1700000000", body)
    assert one.startswith("sha256=")
    assert len(one) == 7 + 64
    assert one != delivery.sign("s3cret", "1700000001", body)
    assert one != delivery.sign("other", "1700000000", body)


def test_retry_with_backoff_then_success(app, receiver, endpoint, make_user, board):
    endpoint(["topic.created"])
    receiver.fail = 2
    member = make_user()
    _topic(app, member["id"], board["id"])
    assert len(receiver.requests) == 1
    with app.app_context():
        row = db.session.scalar(select(WebhookDelivery))
        first = db.session.scalar(select(WebhookAttempt))
        assert (row.state, row.attempts) == ("pending", 1)
        assert row.next_attempt_at - first.created_at == timedelta(seconds=30)
        assert (first.status_code, first.ok, first.response_excerpt) == (500, False, "receiver down")
    # Not due yet: nothing is queued.
    with app.app_context():
        assert services.retry_due() == 0
        db.session.commit()
    assert _retry_later(app) == 1
    with app.app_context():
        row = db.session.scalar(select(WebhookDelivery))
        second = db.session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)).all()[-1]
        assert row.next_attempt_at - second.created_at == timedelta(seconds=60)  # doubled
    assert _retry_later(app) == 1
    assert len(receiver.requests) == 3
    assert all(r["signature_ok"] for r in receiver.requests)
    assert len({r["json"]["event_id"] for r in receiver.requests}) == 1  # the same event each time
    assert len({r["raw"] for r in receiver.requests}) == 1
    assert [r["headers"]["X-Forum-Attempt"] for r in receiver.requests] == ["1", "2", "3"]
    with app.app_context():
        row = db.session.scalar(select(WebhookDelivery))
        assert (row.state, row.attempts, row.next_attempt_at) == ("delivered", 3, None)
        assert db.session.scalar(select(WebhookEndpoint)).consecutive_failures == 0
    assert _retry_later(app) == 0


def test_gives_up_after_max_attempts(app, receiver, endpoint, make_user, board):
    endpoint(["topic.created"])
    receiver.always_fail = True
    _topic(app, make_user()["id"], board["id"])
    for _ in range(5):
        _retry_later(app)
    assert len(receiver.requests) == 4  # WEBHOOKS_MAX_ATTEMPTS in these tests
    with app.app_context():
        row = db.session.scalar(select(WebhookDelivery))
        assert (row.state, row.attempts, row.next_attempt_at) == ("failed", 4, None)
        assert db.session.scalar(select(WebhookEndpoint)).is_active  # below the switch-off limit


def test_switched_off_after_consecutive_failures_with_notice(app, client, auth, receiver, endpoint, admin, make_user,
                                                             board):
    app.config["WEBHOOKS_DISABLE_AFTER"] = 3
    endpoint_id = endpoint(["topic.created"])
    receiver.always_fail = True
    member = make_user()
    _topic(app, member["id"], board["id"], title="First failing topic here")
    _topic(app, member["id"], board["id"], title="Second failing topic here")
    _retry_later(app)  # attempts 3 and 4: the third failure in a row switches it off
    assert len(receiver.requests) == 3
    with app.app_context():
        e = db.session.get(WebhookEndpoint, endpoint_id)
        assert not e.is_active
        assert e.disabled_at is not None
        assert "3 failed attempts" in e.disabled_reason
        notes = db.session.scalars(select(Notification).where(Notification.user_id == admin["id"])).all()
        assert [n.kind for n in notes] == ["webhook_disabled"]
        assert notes[0].url == f"/admin/webhooks/{endpoint_id}"
    # Switched off: new events are not recorded for it, pending ones wait.
    _topic(app, member["id"], board["id"], title="Third topic after switch off")
    assert _retry_later(app) == 0
    assert len(receiver.requests) == 3
    auth.login("hook_admin")
    page = client.get("/admin/webhooks/").get_data(as_text=True)
    assert "Switched off after failures" in page
    assert "3 failed attempts in a row" in page
    notices = client.get("/notifications")
    assert notices.status_code == 200
    assert f"Webhook endpoint #{endpoint_id} was switched off" in notices.get_data(as_text=True)
    # The admin fixes the receiver and switches it on: pending deliveries resume.
    receiver.always_fail = False
    with app.app_context():
        e = db.session.get(WebhookEndpoint, endpoint_id)
        assert services.update_endpoint(e, actor=db.session.get(User, admin["id"]), url=e.url,
                                        description=e.description, events=e.events, is_active=True)
        db.session.commit()
        assert e.consecutive_failures == 0
        assert e.disabled_at is None
    assert _retry_later(app, 1) == 2
    assert len(receiver.requests) == 5
    with app.app_context():
        states = db.session.scalars(select(WebhookDelivery.state).order_by(WebhookDelivery.id)).all()
        assert states == ["delivered", "delivered"]


def test_rollback_records_and_sends_nothing(app, receiver, endpoint, make_user, board):
    endpoint(["topic.created", "post.created"])
    member = make_user()
    with app.app_context():
        topics.create_topic(db.session.get(Category, board["id"]), author=db.session.get(User, member["id"]),
                            title="A topic that is rolled back", body="Never committed.")
        db.session.flush()
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
        assert db.session.scalar(select(func.count()).select_from(JobOutbox)) == 0
    assert receiver.requests == []


def test_one_event_id_for_every_endpoint(app, receiver, endpoint, make_user, board):
    endpoint(["topic.created"])
    endpoint(["topic.created"])
    endpoint(["post.created"])  # not interested
    _topic(app, make_user()["id"], board["id"])
    assert len(receiver.requests) == 2
    assert len({r["json"]["event_id"] for r in receiver.requests}) == 1


def test_redirect_is_not_followed(app, receiver, endpoint, make_user, board):
    receiver.status, receiver.body = 302, b""
    receiver.headers = {"Location": "http://169.254.169.254/latest/meta-data/"}
    endpoint(["topic.created"])
    _topic(app, make_user()["id"], board["id"])
    assert len(receiver.requests) == 1
    with app.app_context():
        attempt = db.session.scalar(select(WebhookAttempt))
        assert attempt.status_code == 302
        assert not attempt.ok
        assert "Redirect" in attempt.error
        assert db.session.scalar(select(WebhookDelivery)).state == "pending"


def test_timeout_is_a_failed_attempt(app, endpoint, make_user, board):
    import socket

    app.config["WEBHOOKS_TIMEOUT"] = 0.5
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts, never answers
    try:
        endpoint(["topic.created"], url=f"http://127.0.0.1:{silent.getsockname()[1]}/")
        _topic(app, make_user()["id"], board["id"])
    finally:
        silent.close()
    with app.app_context():
        attempt = db.session.scalar(select(WebhookAttempt))
        assert attempt.status_code is None
        assert attempt.error == "Timed out."


def test_private_addresses_refused_when_not_allowed(app, receiver, endpoint, make_user, board):
    endpoint(["topic.created"])
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    _topic(app, make_user()["id"], board["id"])
    assert receiver.requests == []  # no connection was made
    with app.app_context():
        attempt = db.session.scalar(select(WebhookAttempt))
        assert attempt.status_code is None
        assert "private" in attempt.error


def test_check_url_refuses_internal_addresses():
    import pytest

    for url in ["http://127.0.0.1/x", "http://localhost:8080/", "http://10.1.2.3/", "http://192.168.0.1/",
                "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
                "http://0.0.0.0/", "http://100.64.0.1/", "http://[fe80::1]/", "http://224.0.0.1/"]:
        with pytest.raises(delivery.UnsafeAddress):
            delivery.check_url(url, allow_private=False)
    for url in ["ftp://example.com/", "javascript:alert(1)", "http://user:pw@93.184.215.14/", "http:///nohost",
                "http://93.184.215.14/#frag", "http://93.184.215.14:99999/", "https://exa mple.com/"]:
        with pytest.raises(delivery.UnsafeAddress):
            delivery.check_url(url, allow_private=True)
    delivery.check_url("https://93.184.215.14/hooks", allow_private=False)  # a public literal address


def test_periodic_retry_is_registered(app, receiver, endpoint, make_user, board):
    from forum.jobs.schedule import SCHEDULE

    assert "webhooks.retry" in SCHEDULE
    endpoint(["topic.created"])
    receiver.fail = 1
    _topic(app, make_user()["id"], board["id"])
    with app.app_context():
        row = db.session.scalar(select(WebhookDelivery))
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert run_periodic("webhooks.retry") == 1
    assert len(receiver.requests) == 2
    with app.app_context():
        assert db.session.scalar(select(WebhookDelivery)).state == "delivered"
        body = json.loads(db.session.scalar(select(WebhookDelivery.body)))
        assert body["event"] == "topic.created"


def test_refused_connection_and_tls_errors_are_described():
    import socket

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    result = delivery.post(f"http://127.0.0.1:{port}/", "{}", {}, timeout=2, allow_private=True, excerpt_chars=10)
    assert (result.status_code, result.error) == (None, "Connection refused or unreachable.")


def test_tls_to_a_plain_http_receiver_fails_cleanly(receiver):
    result = delivery.post(receiver.url.replace("http://", "https://"), "{}", {}, timeout=2, allow_private=True,
                           excerpt_chars=10)
    assert result.status_code is None
    assert result.error == "TLS error (certificate or handshake)."
