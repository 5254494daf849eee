"""Votes: one per member per question, take-back, never one's own, and correct
counts under concurrent voting (on both databases)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Question, QuestionVote
from forum.qa_events import services
from tests.conftest import csrf_token
from tests.qa_events.conftest import WHEN
from tests.topics.dom import page


@pytest.fixture
def question(build):
    with build() as b:
        q = b.question(b.event(), "ann", "Why is my bill higher this month?")
        return {"id": q.id, "vote": f"/ask/ask-dana/q/{q.id}/vote"}


def _state(app, question_id):
    with app.app_context():
        count = db.session.get(Question, question_id).vote_count
        rows = db.session.scalar(select(func.count(QuestionVote.id)).where(QuestionVote.question_id == question_id))
        return count, rows


def test_vote_and_take_back_without_javascript(app, client, question, login_as, post_form):
    login_as("bob")
    resp = post_form(question["vote"], {"vote": "1"}, token_from="/ask/ask-dana")
    assert resp.status_code == 303
    assert resp.location.endswith(f"#q{question['id']}")
    assert _state(app, question["id"]) == (1, 1)
    doc = page(client.get("/ask/ask-dana"))
    article = doc.one("article", id=f"q{question['id']}")
    assert article.find("span", cls="vote-count").text == "1"
    button = article.find("form", cls="vote-form").find("button")
    assert button.text == "Take my vote back"
    assert button.get("aria-pressed") == "true"
    assert post_form(question["vote"], {"vote": "0"}, token_from="/ask/ask-dana").status_code == 303
    assert _state(app, question["id"]) == (0, 0)


def test_vote_with_javascript_gets_json(app, client, question, login_as):
    login_as("bob")
    token = csrf_token(client, "/ask/ask-dana")
    resp = client.post(question["vote"], data={"vote": "1", "csrf_token": token}, headers={"Accept": "application/json"})
    assert resp.status_code == 200
    assert resp.get_json() == {"question": question["id"], "votes": 1, "voted": True}
    resp = client.post(question["vote"], data={"vote": "1", "csrf_token": token}, headers={"Accept": "application/json"})
    assert resp.status_code == 409
    assert resp.get_json()["error"] == "You have already voted for this question."


def test_voting_twice_is_refused(app, question, login_as, post_form):
    login_as("bob")
    post_form(question["vote"], {"vote": "1"}, token_from="/ask/ask-dana")
    resp = post_form(question["vote"], {"vote": "1"}, token_from="/ask/ask-dana")
    assert resp.status_code == 409
    assert "already voted" in resp.get_data(as_text=True)
    assert _state(app, question["id"]) == (1, 1)


def test_taking_back_a_vote_never_cast_is_refused(app, question, login_as, post_form):
    login_as("bob")
    resp = post_form(question["vote"], {"vote": "0"}, token_from="/ask/ask-dana")
    assert resp.status_code == 409
    assert _state(app, question["id"]) == (0, 0)


def test_no_vote_on_ones_own_question(app, client, question, login_as, post_form):
    login_as("ann")
    resp = post_form(question["vote"], {"vote": "1"}, token_from="/ask/ask-dana")
    assert resp.status_code == 403
    assert "You cannot vote for your own question." in resp.get_data(as_text=True)
    assert _state(app, question["id"]) == (0, 0)
    article = page(client.get("/ask/ask-dana")).one("article", id=f"q{question['id']}")
    assert article.find("form", cls="vote-form") is None
    assert "Your question" in article.text


@pytest.mark.parametrize("data", [{}, {"vote": "2"}, {"vote": "yes"}])
def test_bad_vote_values(app, question, login_as, post_form, data):
    login_as("bob")
    assert post_form(question["vote"], data, token_from="/ask/ask-dana").status_code == 400


def test_vote_for_a_missing_question_or_session(app, question, login_as, post_form):
    login_as("bob")
    assert post_form("/ask/ask-dana/q/999999/vote", {"vote": "1"}, token_from="/ask/ask-dana").status_code == 404
    assert post_form(f"/ask/nope/q/{question['id']}/vote", {"vote": "1"}, token_from="/ask/ask-dana").status_code == 404
    assert post_form("/ask/ask-dana/q/99999999999/vote", {"vote": "1"}, token_from="/ask/ask-dana").status_code == 404


def test_voting_closes_with_the_session(app, question, login_as, post_form, clock):
    login_as("bob")
    clock.set("answered")
    resp = post_form(question["vote"], {"vote": "1"}, token_from="/ask/ask-dana")
    assert resp.status_code == 409
    assert "Voting is closed" in resp.get_data(as_text=True)


def test_voting_subscribes_the_voter(app, build, people):
    with build() as b:
        q = b.question(b.event(), "ann")
        services.vote(q, voter=b["bob"], now=WHEN["open"])
        services.unvote(q, voter=b["bob"], now=WHEN["open"])
        services.vote(q, voter=b["bob"], now=WHEN["open"])
        from forum.models import QAEventSubscription

        subs = db.session.scalars(select(QAEventSubscription).order_by(QAEventSubscription.user_id)).all()
        assert [(s.user_id, s.reason) for s in subs] == [(people["ann"]["id"], "asked"), (people["bob"]["id"], "voted")]


def test_concurrent_votes_all_count(app, build, make_user):
    """Several threads vote at once, each with its own app context and session; two
    of them are the same member voting twice. Every distinct vote counts, once."""
    voters = [make_user(f"voter{i}")["id"] for i in range(8)]
    with build() as b:
        question_id = b.question(b.event(), "ann").id
    attempts = [*voters, voters[0], voters[1]]
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []
    lock = threading.Lock()

    def cast(voter_id: int) -> None:
        with app.app_context():
            try:
                from forum.models import User

                voter = db.session.get(User, voter_id)
                q = db.session.get(Question, question_id)
                barrier.wait(timeout=10)
                services.vote(q, voter=voter, now=WHEN["open"])
                db.session.commit()
                result = "ok"
            except services.Conflict:
                db.session.rollback()
                result = "conflict"
            except Exception as exc:  # noqa: BLE001 - reported below
                db.session.rollback()
                result = f"error: {exc!r}"
            finally:
                db.session.remove()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=cast, args=(v,)) for v in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["conflict"] * 2 + ["ok"] * 8, outcomes
    assert _state(app, question_id) == (8, 8)
