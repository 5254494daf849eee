"""Overload protection: the balancer's queue-time header decides; readers get the
shared anonymous page, search answers from its cache or says it is busy (503 with
Retry-After, never a 500), writes go through; one worker refreshes an expired key."""

from __future__ import annotations

import threading
import time

import pytest

from forum.extensions import db
from forum.models import Post
from forum.overload import parse_queue_ms
from forum.pagecache import single_flight
from tests.conftest import csrf_token
from tests.stateless.conftest import queued
from tests.topics.dom import page

NOW = 1_764_600_000.0


@pytest.mark.parametrize(("raw", "expected"), [
    ("t=1764599999.5", 500.0),          # seconds, nginx's ${msec}
    ("t=1764599999500", 500.0),         # milliseconds
    ("1764599999500000", 500.0),        # microseconds, no "t="
    ("t=1764600000.2", 0.0),            # a little in the future: clock skew, counted as 0
])
def test_the_queue_time_header_is_read_in_any_unit(raw, expected):
    assert parse_queue_ms(raw, now=NOW) == pytest.approx(expected)


@pytest.mark.parametrize("raw", [
    None, "", "garbage", "t=", "t=abc", "t=1.2.3", "-5", "t=-1764599999", "1e12", "9" * 30, "t=" + "1" * 50,
    "t=1764603600", "t=0", "t=１７６４", "t=1764599999;drop table",
])
def test_a_garbage_queue_time_is_ignored(raw):
    assert parse_queue_ms(raw, now=NOW) is None


@pytest.fixture
def topic(build, category, make_user):
    author = make_user("asker")
    with build() as b:
        t = b.topic(category, author, title="Roaming in Spain costs too much", body="My bill shows roaming.")
        return t.id


@pytest.mark.parametrize("raw", ["garbage", "t=" + "9" * 40, "t=-3", "\u00e9\u00e9", "t=1764603600"])
def test_a_garbage_header_on_a_request_is_ignored_not_a_500(client, topic, signed_in, raw):
    signed_in()
    resp = client.get("/", headers={"X-Request-Start": raw})
    assert resp.status_code == 200
    assert "X-Forum-Overloaded" not in resp.headers
    found = client.get("/search?q=roaming", headers={"X-Request-Start": raw})
    assert found.status_code == 200
    assert "Roaming in Spain" in found.get_data(as_text=True)


def test_signed_in_readers_get_the_shared_page_marked_while_overloaded(app, client, topic, signed_in, count_queries,
                                                                       overloaded):
    member = signed_in(username="busy.member")
    normal = client.get(f"/t/{topic}")
    assert "busy.member" in normal.get_data(as_text=True)

    resp = client.get(f"/t/{topic}", headers=overloaded)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert resp.headers["X-Forum-Overloaded"] == "1"
    assert "The forum is very busy right now" in html
    assert member["username"] not in html  # the public version: no personal header
    assert resp.headers["Cache-Control"] == "private, no-store"
    assert "Set-Cookie" not in resp.headers

    visitor = app.test_client()
    counter = count_queries()
    with counter:
        shared = visitor.get(f"/t/{topic}", headers=queued(1.0))
    assert counter.count == 0, counter.statements  # the same cached render, no database
    assert "The forum is very busy" not in shared.get_data(as_text=True)
    assert "Roaming in Spain" in shared.get_data(as_text=True)
    # Back to normal: the member's own page again, still signed in.
    assert member["username"] in client.get(f"/t/{topic}").get_data(as_text=True)


def test_writes_go_through_while_overloaded(app, client, topic, signed_in, overloaded):
    signed_in()
    token = csrf_token(client, f"/t/{topic}")
    resp = client.post(f"/t/{topic}/reply", data={"csrf_token": token, "body": "Same for me in Madrid."},
                       headers=overloaded)
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.query(Post).filter_by(body="Same for me in Madrid.").count() == 1


def test_search_is_busy_when_overloaded_and_the_query_is_not_cached(app, client, topic, overloaded):
    resp = client.get("/search?q=roaming+spain", headers=overloaded)
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == str(app.config["SEARCH_BUSY_RETRY_AFTER"])
    doc = page(resp)
    assert doc.one("h1").text == "Search is busy"
    assert "try again in a minute" in doc.text
    assert resp.headers["Cache-Control"] == "private, no-store"  # a 503 is never kept by a CDN


def test_search_answers_popular_queries_from_the_cache_when_overloaded(app, client, topic, signed_in, overloaded):
    visitor = app.test_client()
    fresh = visitor.get("/search?q=roaming")
    assert fresh.status_code == 200
    assert "Roaming in Spain" in fresh.get_data(as_text=True)
    cached = visitor.get("/search?q=roaming", headers=overloaded)
    assert cached.status_code == 200
    assert cached.get_data() == fresh.get_data()
    signed_in(username="searching.member")
    mine = client.get("/search?q=roaming", headers=overloaded)
    assert mine.status_code == 200
    assert "Roaming in Spain" in mine.get_data(as_text=True)
    assert "The forum is very busy right now" in mine.get_data(as_text=True)
    assert client.get("/search?q=roaming+tariff", headers=overloaded).status_code == 503


def test_overload_off_when_the_threshold_is_zero(app, client, topic, overloaded, monkeypatch):
    monkeypatch.setitem(app.config, "OVERLOAD_QUEUE_MS", 0)
    assert client.get("/search?q=roaming+spain", headers=overloaded).status_code == 200


def _threads(app, n, target):
    errors = []

    def run():
        try:
            with app.app_context():
                target()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_one_worker_recomputes_an_expired_key_the_others_serve_the_stale_copy(app):
    calls, results = [], []

    def compute():
        calls.append(1)
        time.sleep(0.3)
        return "fresh"

    with app.app_context():
        from forum.extensions import cache

        cache.set("sf-test", {"value": "stale", "fresh_until": time.time() - 1}, timeout=60)
    _threads(app, 8, lambda: results.append(single_flight("sf-test", compute, ttl=30)))
    assert len(calls) == 1
    assert sorted(results) == ["fresh"] + ["stale"] * 7
    with app.app_context():
        assert single_flight("sf-test", compute, ttl=30) == "fresh"
    assert len(calls) == 1


def test_without_a_copy_the_others_wait_briefly_for_the_one_computing(app):
    calls, results = [], []

    def compute():
        calls.append(1)
        time.sleep(0.2)
        return "value"

    _threads(app, 6, lambda: results.append(single_flight("sf-cold", compute, ttl=30)))
    assert len(calls) == 1
    assert results == ["value"] * 6
