"""Merging duplicates (voters counted once) and declining questions, both in the
public moderation log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import ModerationLogEntry, Question, QuestionVote
from forum.qa_events import services
from tests.qa_events.conftest import WHEN, user
from tests.topics.dom import page


@pytest.fixture
def dupes(build, make_user):
    extra = [make_user(f"fan{i}") for i in range(3)]
    with build() as b:
        event = b.event()
        target = b.question(event, "ann", "Will roaming stay free in the EU?")
        source = b.question(event, "bob", "Is EU roaming going to stay free?")
        fans = [user(f) for f in extra]
        # fan0 votes for both; fan1 only the source; fan2 only the target; Ann (the
        # target's asker) votes for the duplicate.
        for voter, q in ((fans[0], target), (fans[0], source), (fans[1], source), (fans[2], target), (b["ann"], source)):
            services.vote(q, voter=voter, now=WHEN["open"])
        return {"target": target.id, "source": source.id, "fans": [f["id"] for f in extra]}


def test_merge_combines_votes_counting_each_voter_once(app, build, dupes, people):
    with build() as b:
        source, target = db.session.get(Question, dupes["source"]), db.session.get(Question, dupes["target"])
        assert (source.vote_count, target.vote_count) == (3, 2)
        services.merge_questions(source, target, actor=b["sam"], reason=f"Same question as #{target.id}")
    with app.app_context():
        source, target = db.session.get(Question, dupes["source"]), db.session.get(Question, dupes["target"])
        voters = set(db.session.scalars(select(QuestionVote.voter_id).where(QuestionVote.question_id == target.id)))
        assert voters == set(dupes["fans"])  # fan0 once, fan1 moved over, fan2; not Ann (her own question)
        assert target.vote_count == 3
        assert (source.status, source.merged_into_id, source.vote_count) == ("merged", target.id, 0)
        assert db.session.scalar(select(QuestionVote).where(QuestionVote.question_id == source.id)) is None
        entry = db.session.scalar(select(ModerationLogEntry))
        assert (entry.action, entry.target_type, entry.target_id) == ("merge_question", "question", source.id)
        assert entry.actor_id == people["sam"]["id"]
        assert entry.subject_user_id == people["bob"]["id"]
        assert entry.reason == f"Same question as #{target.id}"


def test_merge_through_the_page(app, client, dupes, login_as, post_form):
    login_as("sam")
    path = f"/ask/ask-dana/q/{dupes['source']}/merge"
    assert post_form(path, {"into": dupes["target"], "reason": ""}, token_from="/ask/ask-dana").status_code == 400
    assert post_form(path, {"into": 999999, "reason": "dup"}, token_from="/ask/ask-dana").status_code == 400
    assert post_form(path, {"into": dupes["source"], "reason": "dup"}, token_from="/ask/ask-dana").status_code == 400
    resp = post_form(path, {"into": dupes["target"], "reason": "Duplicate"}, token_from="/ask/ask-dana")
    assert resp.status_code == 303
    doc = page(client.get("/ask/ask-dana"))
    closed = doc.one("li", id=f"q{dupes['source']}")
    assert f"merged into #{dupes['target']}" in closed.text
    assert doc.one("article", id=f"q{dupes['target']}").find("span", cls="vote-count").text == "3"
    # Merging it again is refused.
    assert post_form(path, {"into": dupes["target"], "reason": "again"}, token_from="/ask/ask-dana").status_code == 409


def test_reject_shows_declined_with_reason_and_logs_it(app, client, build, login_as, post_form, people):
    with build() as b:
        qid = b.question(b.event(), "ann", "What is your favourite football team?").id
    login_as("priya")
    path = f"/ask/ask-dana/q/{qid}/reject"
    resp = post_form(path, {"reason": "   "}, token_from="/ask/ask-dana")
    assert resp.status_code == 400
    resp = post_form(path, {"reason": "Off-topic for this session"}, token_from="/ask/ask-dana")
    assert resp.status_code == 303
    doc = page(client.get("/ask/ask-dana"))
    assert doc.find("article", id=f"q{qid}") is None  # not in the main list ...
    closed = doc.one("li", id=f"q{qid}")  # ... but shown, with its reason
    assert closed.find("span", cls="tag-declined").text == "declined: Off-topic for this session"
    assert "favourite football team" in closed.text
    with app.app_context():
        q = db.session.get(Question, qid)
        assert (q.status, q.declined_reason) == ("declined", "Off-topic for this session")
        entry = db.session.scalar(select(ModerationLogEntry))
        assert (entry.action, entry.target_id, entry.reason) == ("reject_question", qid, "Off-topic for this session")
        assert entry.actor_id == people["priya"]["id"]
        assert entry.subject_user_id == people["ann"]["id"]
    # Votes and answers are closed for it.
    login_as("bob")
    assert post_form(f"/ask/ask-dana/q/{qid}/vote", {"vote": "1"}, token_from="/ask/ask-dana").status_code == 409


def test_reject_needs_a_reason_in_the_service(app, build):
    with build() as b:
        q = b.question(b.event(), "ann")
        with pytest.raises(services.QAError):
            services.reject_question(q, actor=b["sam"], reason="")
        with pytest.raises(services.PermissionDenied):
            services.reject_question(q, actor=b["dana"], reason="I'd rather not")
        assert db.session.scalar(select(ModerationLogEntry)) is None
