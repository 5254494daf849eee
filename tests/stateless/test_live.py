"""Live incident pages: server-sent events deliver new updates to open pages (through
the in-process broker here; through Redis in test_two_hosts.py)."""

from __future__ import annotations

import json
import threading
import time
from html.parser import HTMLParser

import pytest

from forum.extensions import db
from forum.incidents import services
from forum.models import Incident, User
from tests.corpus import load_corpus
from tests.topics.dom import page


def _events(chunks) -> list[dict]:
    out = []
    for chunk in chunks:
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        for block in text.split("\n\n"):
            lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
            if lines.get("event") == "update":
                out.append(json.loads(lines["data"]))
    return out


def _post_update(app, incident_id, staff_id, body, state="identified"):
    with app.app_context():
        update = services.post_update(db.session.get(Incident, incident_id), actor=db.session.get(User, staff_id),
                                      state=state, body=body)
        db.session.commit()
        return update.id


@pytest.fixture
def short_streams(app, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_STREAM_SECONDS", 1.5)


def test_an_open_page_receives_a_new_update(app, client, incident, staff, short_streams):
    resp = client.get(f"/status/{incident}/events", buffered=False)
    assert resp.status_code == 200
    assert resp.mimetype == "text/event-stream"
    assert resp.headers["Cache-Control"] == "no-store"
    chunks = iter(resp.response)
    assert next(chunks).startswith(b"retry:")
    timer = threading.Timer(0.3, _post_update, (app, incident, staff["id"], "We found a faulty switch."))
    timer.start()
    received = []
    started = time.monotonic()
    for chunk in chunks:
        received += _events([chunk])
        if received:
            break
    timer.join()
    resp.close()
    assert time.monotonic() - started < 1.5
    (event,) = received
    assert event["state"] == "identified"
    assert event["state_label"] == "Identified"
    entry = event["html"]
    assert "We found a faulty switch." in entry
    assert f'id="u{event["id"]}"' in entry
    assert "Correct</a>" not in entry  # rendered as a visitor sees it


def test_a_reconnecting_page_gets_what_it_missed(app, client, incident, staff, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_STREAM_SECONDS", 0.2)
    first = _post_update(app, incident, staff["id"], "First finding.")
    second = _post_update(app, incident, staff["id"], "Second finding.", state="monitoring")
    resp = client.get(f"/status/{incident}/events", headers={"Last-Event-ID": str(first)})
    events = _events([resp.get_data()])
    assert [e["id"] for e in events] == [second]
    resp = client.get(f"/status/{incident}/events?after=0")
    assert len(_events([resp.get_data()])) == 3  # the opening update and both findings


@pytest.mark.parametrize("bad", ["abc", "-1", "1" * 30, "１"])
def test_a_bad_last_event_id_is_ignored(app, client, incident, monkeypatch, bad):
    monkeypatch.setitem(app.config, "LIVE_STREAM_SECONDS", 0.1)
    resp = client.get(f"/status/{incident}/events", headers={"Last-Event-ID": bad})
    assert resp.status_code == 200
    assert _events([resp.get_data()]) == []


def test_a_resolved_incident_ends_the_stream(app, client, make_incident):
    resolved = make_incident(resolved=True)
    assert client.get(f"/status/{resolved}/events").status_code == 204
    assert client.get("/status/999999/events").status_code == 404


def test_the_page_works_without_javascript_and_offers_the_stream(app, client, incident, staff):
    _post_update(app, incident, staff["id"], "Engineers are on site.")
    doc = page(client.get(f"/status/{incident}"))
    timeline = doc.one("section", cls="timeline")
    assert timeline.get("data-live-url") == f"/status/{incident}/events"
    assert "Engineers are on site." in timeline.text
    assert any(s.get("src", "").endswith("/js/incident-live.js") for s in doc.find_all("script"))


def test_hostile_update_text_is_sanitised_in_the_stream(app, client, incident, staff, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_STREAM_SECONDS", 0.1)
    entries = [e for e in load_corpus("xss-payloads.txt") if isinstance(e.value, str) and e.value.strip()][:40]
    first = None
    for entry in entries:
        try:
            update_id = _post_update(app, incident, staff["id"], entry.value)
        except Exception:  # noqa: S112 - an entry the service refuses (empty after cleaning) is fine
            continue
        first = first or update_id
    assert first is not None
    resp = client.get(f"/status/{incident}/events?after={first - 1}")
    events = _events([resp.get_data()])
    assert events
    for event in events:
        checker = _Elements()
        checker.feed(event["html"])
        assert "script" not in checker.tags
        assert "iframe" not in checker.tags
        assert [a for a in checker.attrs if a[0].startswith("on")] == []
        assert [a for a in checker.attrs if (a[1] or "").strip().lower().startswith("javascript:")] == []


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.extend(attrs)
