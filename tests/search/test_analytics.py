"""Search analytics: recorded after the response, no user id, keystrokes merged,
clicks with their rank, retention, and the staff page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from forum.extensions import db
from forum.models import SearchEvent
from forum.models.base import utcnow
from forum.search import analytics
from tests.corpus import load_corpus


@pytest.fixture
def topics(app, build, make_user, category):
    alice = make_user("alice")
    with build() as b:
        b.topic(category, alice, title="Roaming charges in Spain", body="My bill shows roaming charges.")
        b.topic(category, alice, title="Roaming in France", body="Data abroad.")


def _events(app):
    with app.app_context():
        return [(e.source, e.query, e.filters, e.result_count, e.clicked_rank, e.session_hash, e.page)
                for e in db.session.query(SearchEvent).order_by(SearchEvent.id)]


def test_a_search_is_recorded_after_the_response(app, client, topics):
    resp = client.get("/search", query_string={"q": "  ROAMING Charges ", "resolved": "1"})
    assert resp.status_code == 200
    resp.close()
    (source, query, filters, count, clicked, sess, page), = _events(app)
    assert (source, query, filters, count, clicked, page) == ("page", "roaming charges", "resolved", 0, None, 1)
    assert re.fullmatch(r"[0-9a-f]{16}", sess)
    client.get("/search", query_string={"q": "roaming"}).close()
    events = _events(app)
    assert events[1][1:4] == ("roaming", "", 2)
    # A visitor without a session is given none (the page stays cookie-free and publicly
    # cacheable): each of their searches has its own hash.
    assert events[1][5] != sess
    assert "Set-Cookie" not in client.get("/search", query_string={"q": "roaming"}).headers
    assert not hasattr(SearchEvent, "user_id")


def test_a_browser_session_keeps_one_hash(app, client, topics):
    with client.session_transaction() as sess:
        sess["seen"] = 1  # a browser that already has a session (signed in, or a form seen)
    client.get("/search", query_string={"q": "roaming"}).close()
    client.get("/search", query_string={"q": "roaming charges"}).close()
    first, second = _events(app)
    assert first[5] == second[5]  # same browser session, same hash; no user id anywhere


def test_a_click_is_recorded_with_its_rank(app, client, topics):
    resp = client.get("/search", query_string={"q": "roaming"})
    html = resp.get_data(as_text=True)
    resp.close()  # the server closes the response once sent: the search is written then
    pings = re.findall(r'ping="([^"]+)"', html)
    assert len(pings) == 2
    assert client.post(pings[1]).status_code == 204
    assert client.post(pings[0]).status_code == 204  # only the first click counts
    with app.app_context():
        event = db.session.query(SearchEvent).one()
        assert event.clicked_rank == 2
        assert event.clicked_doc.startswith("/t/")


@pytest.mark.parametrize("token", ["nonsense", "eyJhIjoxfQ.bad", "x" * 300])
def test_a_forged_click_is_a_400_and_changes_nothing(app, client, topics, token):
    client.get("/search", query_string={"q": "roaming"}).close()
    assert client.post(f"/search/click/{token}").status_code == 400
    with app.app_context():
        assert db.session.query(SearchEvent).one().clicked_rank is None


def test_keystroke_prefixes_from_live_suggestions_are_merged(app, client, topics):
    for typed in ("roa", "roam", "roaming", "roaming in", "roaming in spain"):
        client.get("/search/similar", query_string={"title": typed}).close()
    client.get("/search/similar", query_string={"title": "voicemail"}).close()
    events = _events(app)
    assert [e[1] for e in events] == ["roaming in spain", "voicemail"]
    assert {e[0] for e in events} == {"suggest"}


def test_retention_removes_old_searches(app, client, topics):
    with app.app_context():
        db.session.add(SearchEvent(key="old", query="ancient", created_at=utcnow() - timedelta(days=91)))
        db.session.add(SearchEvent(key="recent", query="recent", created_at=utcnow() - timedelta(days=10)))
        db.session.commit()
    client.get("/search", query_string={"q": "roaming"}).close()
    assert sorted(e[1] for e in _events(app)) == ["recent", "roaming"]


def test_analytics_can_be_switched_off(app, client, topics):
    app.config["SEARCH_ANALYTICS"] = False
    try:
        html = client.get("/search", query_string={"q": "roaming"}).get_data(as_text=True)
        assert "ping=" not in html
        assert _events(app) == []
    finally:
        app.config["SEARCH_ANALYTICS"] = True


def test_insights_query(app, client, topics):
    for q in ("roaming", "roaming", "zzzqqq"):
        client.get("/search", query_string={"q": q}).close()
    with app.app_context():
        data = analytics.insights(days=30)
    assert data["searches"] == 3
    assert [(s.query, s.searches) for s in data["top"]] == [("roaming", 2), ("zzzqqq", 1)]
    assert [s.query for s in data["no_results"]] == ["zzzqqq"]
    assert data["zero_result_share"] == pytest.approx(1 / 3)


@pytest.mark.parametrize("role", [None, "member"])
def test_insights_page_is_for_staff_only(client, signed_in, role):
    if role:
        signed_in(role, username="someone")
    assert client.get("/staff/search").status_code in ((302,) if role is None else (403,))


def test_insights_page_for_staff(app, client, topics, signed_in):
    client.get("/search", query_string={"q": "zzzqqq"}).close()
    signed_in("staff", username="agent")
    html = client.get("/staff/search").get_data(as_text=True)
    assert "Searches with no results" in html
    assert "zzzqqq" in html
    assert client.get("/staff/search?days=abc").status_code == 400
    assert client.get("/staff/search?days=0").status_code == 400


@pytest.mark.parametrize("corpus", ["xss-payloads.txt", "naughty-strings.txt"])
def test_security_corpus_on_the_insights_page(app, client, topics, signed_in, corpus):
    entries = load_corpus(corpus)
    for entry in entries:
        client.get("/search", query_string={"q": entry.text}).close()
    signed_in("staff", username="agent")
    html = client.get("/staff/search?days=1").get_data(as_text=True)
    body = html.split("<main", 1)[-1]
    assert "<script" not in body.lower()
    assert "onerror=" not in body.lower()
    assert "javascript:" not in body.lower()
