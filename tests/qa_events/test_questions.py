"""Asking: the window, the per-member limit, bad input, similar questions and the
"check" step."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import QAEventSubscription, Question
from forum.qa_events import services
from tests.qa_events.conftest import WHEN
from tests.topics.dom import page


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Question.id)))


def test_member_asks_through_the_page(app, client, event, login_as, post_form):
    login_as("ann")
    resp = post_form(f"{event['path']}/question", {"body": "Will *5G* come to Hull this year?"}, token_from=event["path"])
    assert resp.status_code == 302
    assert resp.location.startswith(f"{event['path']}#q")
    doc = page(client.get(event["path"]))
    question = doc.one("article", cls="qa-question")
    assert "Will 5G come to Hull this year?" in question.text
    assert question.find("em").text == "5G"
    assert "asked by ann" in question.text
    with app.app_context():
        sub = db.session.scalar(select(QAEventSubscription))
        assert sub.reason == "asked"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "cannot be empty"),
        ("   \n  ", "cannot be empty"),
        ("Too short", "10 to 500 characters"),
        ("x" * 501, "10 to 500 characters"),
    ],
)
def test_bad_questions_are_refused(app, client, event, login_as, post_form, body, message):
    login_as("ann")
    resp = post_form(f"{event['path']}/question", {"body": body}, token_from=event["path"])
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert _count(app) == 0


def test_service_refuses_bad_length_too(app, build):
    with build() as b:
        event = b.event()
        for body in ("", "short", "y" * 501, "nul \x00 in the middle of it"):
            with pytest.raises(services.QAError):
                b.question(event, "ann", body)
        assert b.question(event, "ann", "y" * 500).body == "y" * 500
        assert b.question(event, "ann", " " + "z" * 10 + " ").body == "z" * 10


@pytest.mark.parametrize("state", ["scheduled", "answered", "archived"])
def test_outside_the_window(app, client, event, login_as, post_form, clock, state):
    clock.set(state)
    login_as("ann")
    resp = post_form(f"{event['path']}/question", {"body": "Is this still open for questions?"}, token_from=event["path"])
    assert resp.status_code == 409
    assert "not taking questions" in resp.get_data(as_text=True)
    assert _count(app) == 0


def test_questions_close_at_their_time_even_while_live(app, build):
    with build() as b:
        event = b.event(questions_close_at=WHEN["live"])
        assert services.accepting_questions(event, WHEN["live"]) is False
        with pytest.raises(services.Conflict):
            services.submit_question(event, author=b["ann"], body="A question after the close", now=WHEN["live"])


def test_asking_while_live(app, build):
    with build() as b:
        event = b.event()
        q = services.submit_question(event, author=b["ann"], body="A question asked during the live hour", now=WHEN["live"])
        assert q.id


def test_per_member_limit(app, client, build, login_as, post_form):
    with build() as b:
        event = b.event(question_limit=2)
        b.question(event, "ann", "First question about billing")
        b.question(event, "ann", "Second question about roaming")
    login_as("ann")
    resp = post_form("/ask/ask-dana/question", {"body": "Third question about coverage"}, token_from="/ask/ask-dana")
    assert resp.status_code == 422
    assert "You have already asked 2 questions, the limit for this session." in resp.get_data(as_text=True)
    assert _count(app) == 2
    # Another member is not affected, and the page tells Ann instead of offering the form.
    doc = page(client.get("/ask/ask-dana"))
    assert "You have asked 2 of 2 questions" in doc.one("section", cls="qa-ask").text


def test_similar_questions_check_step(app, client, build, login_as, post_form):
    with build() as b:
        event = b.event()
        b.question(event, "bob", "Why was my roaming charge so high in Spain?")
        b.question(event, "cy", "When does the new mast in Hull go up?")
    login_as("ann")
    body = "Roaming charges in Spain look wrong on my bill"
    resp = post_form("/ask/ask-dana/question", {"body": body}, token_from="/ask/ask-dana")
    assert resp.status_code == 200
    doc = page(resp)
    check = doc.one("section", cls="qa-check")
    items = check.find_all("li", cls="qa-similar-item")
    assert len(items) == 1
    assert "roaming charge so high in Spain" in items[0].text
    assert items[0].find("form").get("action").endswith("/vote")  # vote for it instead
    assert _count(app) == 1 + 1
    # The form keeps the text and now posts for real.
    assert doc.find("textarea").text.strip() == body
    assert doc.find("input", id="confirm").get("value") == "1"
    resp = post_form("/ask/ask-dana/question", {"body": body, "confirm": "1"}, token_from="/ask/ask-dana")
    assert resp.status_code == 302
    assert _count(app) == 3


def test_no_similar_questions_posts_at_once(app, build, login_as, post_form):
    with build() as b:
        b.question(b.event(), "bob", "Why was my roaming charge so high in Spain?")
    login_as("ann")
    resp = post_form("/ask/ask-dana/question", {"body": "Is eSIM coming to older phones?"}, token_from="/ask/ask-dana")
    assert resp.status_code == 302


def test_similar_json_endpoint(app, client, build):
    with build() as b:
        event = b.event()
        b.question(event, "bob", "Why was my roaming charge so high in Spain?")
        b.question(event, "cy", "Roaming in Spain: is it included?")
        b.question(event, "ann", "Nothing to do with the others at all")
    data = client.get("/ask/ask-dana/similar?q=roaming in spain").get_json()
    assert [q["text"] for q in data["questions"]] == ["Why was my roaming charge so high in Spain?", "Roaming in Spain: is it included?"]
    assert client.get("/ask/ask-dana/similar?q=%25%25%25").get_json() == {"questions": []}
    assert client.get("/ask/ask-dana/similar").get_json() == {"questions": []}
    assert client.get("/ask/nope/similar?q=roaming").status_code == 404


def test_similar_questions_are_bounded_and_ranked(app, build):
    with build() as b:
        event = b.event(question_limit=50)
        for i in range(60):
            b.question(event, "bob" if i % 2 else "cy", f"Question {i} about roaming data")
        b.question(event, "ann", "Roaming data charges in Spain and Portugal")
        found = services.similar_questions(event, "roaming data in Spain")
        assert len(found) == 5
        assert found[0].body == "Roaming data charges in Spain and Portugal"
