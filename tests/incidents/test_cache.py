"""The anonymous page cache (SimpleCache and Redis): cached renders never show one
member's state to another or to visitors; honest Cache-Control headers."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from forum.extensions import cache, db
from forum.incidents import services
from forum.models import Incident, User
from tests.conftest import AuthActions, csrf_token
from tests.topics.dom import page

CACHED_PAGES = ("/", "/status", "/status/{id}")


def _paths(incident_id):
    return [p.format(id=incident_id) for p in CACHED_PAGES]


def _signed_in_client(app, user):
    client = app.test_client()
    assert AuthActions(client).login(user["username"]).status_code == 302
    return client


@pytest.mark.parametrize("path", CACHED_PAGES)
def test_anonymous_render_is_cached_while_incident_open(app, client, count_queries, incident, path):
    path = path.format(id=incident)
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == f"public, max-age={app.config['INCIDENT_PAGE_TTL']}"
    assert "Cookie" in first.headers["Vary"]
    counter = count_queries()
    with counter:
        again = client.get(path)
    assert again.get_data() == first.get_data()
    assert counter.count == 0, counter.statements


def test_no_page_cache_without_open_incident(app, client, make_incident):
    from forum.extensions import cache
    from forum.incidents import caching

    make_incident(resolved=True)
    client.get("/")
    resp = client.get("/")
    # Not stored in the page cache (the home page's lists have their own cache,
    # forum/listcache.py, so a fresh render may run no query at all).
    with app.test_request_context("/"):
        assert cache.get(caching._page_key()) is None
    # Still public for front proxies (forum/httpcache.py), with the general max-age.
    assert resp.headers["Cache-Control"] == f"public, max-age={app.config['PUBLIC_MAX_AGE']}"


def test_cached_pages_never_leak_member_state(app, make_user, incident):
    ann, bob = make_user("ann.affected"), make_user("bob.bystander")
    anon = app.test_client()
    for path in _paths(incident):  # prime the cache anonymously
        assert anon.get(path).status_code == 200
    a = _signed_in_client(app, ann)
    token = csrf_token(a, f"/status/{incident}")
    assert a.post(f"/status/{incident}/affected", data={"csrf_token": token, "area": "wales"}).status_code == 302
    b = _signed_in_client(app, bob)
    for path in _paths(incident):
        ra, rb, r0 = a.get(path), b.get(path), anon.get(path)
        for resp in (ra, rb):
            assert resp.headers["Cache-Control"] == "private, no-store"
        assert "ann.affected" in ra.get_data(as_text=True)
        assert "ann.affected" not in rb.get_data(as_text=True)
        assert "bob.bystander" in rb.get_data(as_text=True)
        anon_html = r0.get_data(as_text=True)
        assert "ann.affected" not in anon_html
        assert "bob.bystander" not in anon_html
        assert 'name="csrf_token"' not in anon_html  # a shared page carries no session token
    doc_a = page(a.get(f"/status/{incident}"))
    doc_b = page(b.get(f"/status/{incident}"))
    assert doc_a.find(id="affected-mine") is not None
    assert doc_b.find(id="affected-mine") is None
    assert doc_b.find("form", cls="affected-form") is not None
    assert page(anon.get(f"/status/{incident}")).find(id="affected-mine") is None


def test_member_first_render_is_not_served_to_visitors(app, make_user, incident):
    """A member's render is never stored: the next visitor gets an anonymous page."""
    member = make_user("first.member")
    m = _signed_in_client(app, member)
    for path in _paths(incident):
        assert "first.member" in m.get(path).get_data(as_text=True)
    anon = app.test_client()
    for path in _paths(incident):
        html = anon.get(path).get_data(as_text=True)
        assert "first.member" not in html
        assert "Sign in" in html


def test_flash_message_is_not_cached_for_others(app, monkeypatch, incident):
    monkeypatch.setitem(app.config, "INCIDENT_ANON_REPORTS", True)
    presser = app.test_client()
    token = csrf_token(presser, f"/status/{incident}/affected")
    resp = presser.post(f"/status/{incident}/affected", data={"csrf_token": token})
    flashed = presser.get(resp.location)
    assert "you are counted" in flashed.get_data(as_text=True)
    assert flashed.headers["Cache-Control"] == "private, no-store"
    other = app.test_client().get(f"/status/{incident}")
    assert "you are counted" not in other.get_data(as_text=True)
    assert page(other).one(id="affected-count").text == "1"


def test_writes_invalidate_cached_pages(app, client, staff, incident):
    assert "We are investigating." in client.get(f"/status/{incident}").get_data(as_text=True)
    with app.app_context():
        services.post_update(
            db.session.get(Incident, incident),
            actor=db.session.get(User, staff["id"]),
            state="monitoring",
            body="A fix is in place; we are watching.",
        )
        db.session.commit()
    doc = page(client.get(f"/status/{incident}"))
    assert "A fix is in place" in doc.text
    assert doc.one(id="incident-state").text == "Monitoring"


def test_feeds_get_public_cache_control(client, incident):
    resp = client.get(f"/status/{incident}.atom")
    assert resp.headers["Cache-Control"].startswith("public, max-age=")


REDIS_URL = os.environ.get("FORUM_TEST_REDIS_URL")


@pytest.fixture
def redis_app(app, database_url):
    """A second app on the same database whose cache is Redis (FORUM_REDIS_URL)."""
    if not REDIS_URL:
        pytest.skip("FORUM_TEST_REDIS_URL not set")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    from forum import create_app

    prefix = f"forum-test-{uuid.uuid4().hex[:8]}:"
    rapp = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key",
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": "localhost",
            "REDIS_URL": REDIS_URL,
            "CACHE_KEY_PREFIX": prefix,
        }
    )
    yield rapp
    with rapp.app_context():
        cache.clear()
        db.engine.dispose()


def test_redis_cache_path(redis_app, make_user, incident):
    assert redis_app.config["CACHE_TYPE"] == "RedisCache"
    with redis_app.app_context():
        assert type(cache.cache).__name__ == "RedisCache"
    anon = redis_app.test_client()
    first = anon.get(f"/status/{incident}")
    assert first.headers["Cache-Control"].startswith("public")
    keys = redis.Redis.from_url(REDIS_URL).keys(redis_app.config["CACHE_KEY_PREFIX"] + "*")
    assert any(b"incidents:page:" in k for k in keys)
    assert any(k.endswith(b"incidents:open") for k in keys)
    assert anon.get(f"/status/{incident}").get_data() == first.get_data()
    member = make_user("redis.member")
    m = redis_app.test_client()
    assert AuthActions(m).login(member["username"]).status_code == 302
    token = csrf_token(m, f"/status/{incident}")
    assert m.post(f"/status/{incident}/affected", data={"csrf_token": token}).status_code == 302
    assert page(m.get(f"/status/{incident}")).find(id="affected-mine") is not None
    # The press bumped the generation in Redis: visitors see the new count, not the member.
    doc = page(anon.get(f"/status/{incident}"))
    assert doc.one(id="affected-count").text == "1"
    assert "redis.member" not in doc.text
