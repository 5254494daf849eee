"""The shared hostile-input corpora where the dashboard shows user text: topic titles
(most negative open topics), terms, search queries, incident titles; and in the CSV."""

from __future__ import annotations

import csv
import io

import pytest

from forum.extensions import db
from forum.insights import rollups
from forum.models import Category, Incident, SearchEvent
from forum.topics import services
from tests.corpus import load_corpus
from tests.insights.conftest import NOW, t
from tests.test_security_corpus import CORPUS_DIR, CORPUS_FILES, assert_page_safe


@pytest.fixture
def entries():
    out = []
    for name in CORPUS_FILES:
        out += [e.text.replace("\x00", "") for e in load_corpus(name, CORPUS_DIR)]
    assert len(out) > 500
    return out


def test_corpus_on_the_dashboard_and_in_csv(app, client, auth, people, entries):
    u = {k: v["id"] for k, v in people.items()}
    shown_titles = []
    with app.app_context():
        from forum.models import User

        cat = Category(name="Network", slug="network", position=1)
        db.session.add(cat)
        db.session.flush()
        alice = db.session.get(User, u["alice"])
        for i, text in enumerate(entries[:60]):
            title = " ".join(f"Terrible awful {text}".split())[:150]
            try:
                services.create_topic(cat, author=alice, title=title, body=f"Awful, hate it. {text}"[:5000] or "x")
                shown_titles.append(title)
            except Exception:  # refused by the topic rules (4xx): not stored
                db.session.rollback()
                cat = db.session.get(Category, cat.id)
                alice = db.session.get(User, u["alice"])
        for i, text in enumerate(entries):
            db.session.add(Incident(title=text[:150] or "x", severity="major", created_by_id=u["care"],
                                    created_at=t(3, 15, 9), last_update_at=t(3, 15, 9)))
            if i < 40:
                db.session.add(SearchEvent(key=f"c{i}", created_at=t(3, 15, 9), query=text[:256] or "x",
                                           result_count=i % 2))
        db.session.commit()
        rollups.rollup(NOW)
        db.session.commit()
    assert shown_titles
    assert auth.login("boss").status_code == 302
    resp = client.get("/staff/insights?start=2026-03-01&end=2026-03-20")
    assert resp.status_code == 200
    assert_page_safe(resp, "insights dashboard")
    page = resp.get_data(as_text=True)
    assert "Terrible awful" in page  # the negative topics are listed
    resp = client.get("/staff/insights/incidents.csv?start=2026-03-01&end=2026-03-20")
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    titles = [r[1] for r in rows[1:]]
    assert len(titles) == min(len(entries), 200)
    # No cell a spreadsheet would run as a formula.
    assert not any(c[:1] in ("=", "+", "-", "@") and not c.lstrip("+-").replace(".", "", 1).isdigit()
                   for r in rows for c in r)
