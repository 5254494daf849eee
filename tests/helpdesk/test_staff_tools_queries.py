"""The topic page with staff tools runs a fixed number of queries: internal notes
cost staff one query however many there are, and members and visitors nothing."""

from __future__ import annotations

import pytest

from forum.extensions import db
from forum.helpdesk import escalation, notes
from forum.models import Topic, User
from tests.conftest import AuthActions


def _count(client, count_queries, path) -> tuple[int, list[str]]:
    client.get(path)  # warm up
    counter = count_queries()
    with counter:
        resp = client.get(path)
    assert resp.status_code == 200
    return counter.count, counter.statements


@pytest.fixture
def topics(build, make_user, category):
    author, care, mod = make_user("asker"), make_user("care", role="staff"), make_user("mod", role="moderator")
    with build() as b:
        quiet = b.topic(category, author, title="Topic without notes")
        b.reply(quiet, care, body="A reply.")
        busy = b.topic(category, author, title="Topic with many notes")
        b.reply(busy, care, body="A reply.")
        for i in range(40):
            notes.add_note(busy, author=db.session.get(User, (care if i % 2 else mod)["id"]), body=f"Note {i}")
        return {"quiet": f"/t/{quiet.id}", "busy": f"/t/{busy.id}", "busy_id": busy.id, "care": care, "author": author}


@pytest.mark.parametrize("viewer", ["anonymous", "member", "moderator", "staff"])
def test_notes_do_not_grow_the_topic_page(app, count_queries, make_user, topics, viewer):
    client = app.test_client()
    if viewer != "anonymous":
        user = make_user(f"viewer-{viewer}", role=viewer)
        assert AuthActions(client).login(user["username"]).status_code == 302
    n_quiet, quiet_sql = _count(client, count_queries, topics["quiet"])
    n_busy, busy_sql = _count(client, count_queries, topics["busy"])
    html = client.get(topics["busy"]).get_data(as_text=True)
    assert ("Note 39" in html) is (viewer in ("moderator", "staff"))
    assert n_quiet == n_busy, "\n".join(["quiet:", *quiet_sql, "busy:", *busy_sql])
    # (+1 since issue 17: the authors' ranks, one batched query, forum.people.ranks)
    # Signed-in viewers also read their position in the topic (forum.topics.reading).
    assert n_busy <= (10 if viewer in ("moderator", "staff") else 9) + (viewer != "anonymous"), busy_sql


def test_claims_and_private_cases_add_a_bounded_number(app, count_queries, make_user, topics):
    client = app.test_client()
    viewer = make_user("viewer-staff", role="staff")
    assert AuthActions(client).login(viewer["username"]).status_code == 302
    before, _ = _count(client, count_queries, topics["busy"])
    with app.app_context():
        topic = db.session.get(Topic, topics["busy_id"])
        care = db.session.get(User, topics["care"]["id"])
        topic.claimed_by_id = care.id
        escalation.escalate_topic(topic, actor=care, subject="About your topic", body="Can we talk privately?")
        db.session.commit()
    after, sql = _count(client, count_queries, topics["busy"])
    html = client.get(topics["busy"]).get_data(as_text=True)
    assert "Assigned to care" in html
    assert "Private case #" in html
    # The assignee's name and the private cases: one query each, whatever the notes.
    assert after <= before + 2, sql
