"""Answers: by the executive or by staff on their behalf (shown as such), follow-up
notes, revisions, and the notifications they send."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Answer, AnswerRevision, Notification, Question
from forum.qa_events import services
from tests.qa_events.conftest import WHEN
from tests.topics.dom import page


@pytest.fixture
def question(build):
    with build() as b:
        q = b.question(b.event(), "ann", "Why is my bill higher this month?")
        return {"id": q.id, "answer": f"/ask/ask-dana/q/{q.id}/answer"}


def _notes(app, kind="qa_answer"):
    with app.app_context():
        return [(n.user_id, n.text, n.url) for n in db.session.scalars(
            select(Notification).where(Notification.kind == kind).order_by(Notification.id))]


def test_executive_answers_live(app, client, question, login_as, post_form, clock, people):
    clock.set("live")
    login_as("dana")
    resp = post_form(question["answer"], {"body": "Prices went up by **3.9%** in April.", "kind": "answer"},
                     token_from=question["answer"])
    assert resp.status_code == 302
    login_as("bob")
    doc = page(client.get("/ask/ask-dana"))
    article = doc.one("article", id=f"q{question['id']}")
    answer = article.one("section", cls="qa-answer")
    assert answer.find("strong").text == "3.9%"
    by = answer.one("span", cls="qa-by")
    assert by.text.startswith("answered by dana")
    assert by.one("span", cls="badge").text == "Head of Customer Care"
    assert by.one("span", cls="exec-title").text == "Chief Customer Officer"
    assert "Customer Care for" not in by.text
    assert article.find("span", cls="tag-answered").text == "Answered"
    assert _notes(app) == [(people["ann"]["id"], "Your question in “Ask Dana anything” was answered.",
                            f"/ask/ask-dana#q{question['id']}")]


def test_staff_answer_on_behalf_is_shown_as_such(app, client, question, login_as, post_form):
    login_as("priya")
    form = page(client.get(question["answer"]))
    assert "on behalf of dana" in form.one("p", cls="notice").text
    post_form(question["answer"], {"body": "We will look into it.", "kind": "answer"}, token_from=question["answer"])
    by = page(client.get("/ask/ask-dana")).one("section", cls="qa-answer").one("span", cls="qa-by")
    assert " ".join(by.text.split()).startswith("answered by Customer Care for dana Head of Customer Care")
    with app.app_context():
        answer = db.session.scalar(select(Answer))
        assert answer.on_behalf
        assert answer.executive.username == "dana"


def test_a_question_has_one_answer(app, build, question):
    with build() as b:
        q = db.session.get(Question, question["id"])
        services.answer_question(q, author=b["dana"], body="First answer", now=WHEN["live"])
        with pytest.raises(services.Conflict):
            services.answer_question(q, author=b["priya"], body="Second answer", now=WHEN["live"])


def test_follow_up_then_update_keeps_revisions_and_notifies(app, client, question, login_as, post_form, people):
    login_as("priya")
    post_form(question["answer"], {"body": "We will come back to you on this.", "kind": "follow_up"},
              token_from=question["answer"])
    with app.app_context():
        answer_id = db.session.scalar(select(Answer.id))
        assert db.session.get(Question, question["id"]).status == "follow_up"
    assert _notes(app)[0][1].startswith("Customer Care will come back to you")
    edit = f"/ask/ask-dana/a/{answer_id}/edit"
    doc = page(client.get(edit))
    assert "We will come back to you on this." in doc.find("textarea").text
    resp = post_form(edit, {"body": "Refunds now take one working day.", "kind": "answer"}, token_from=edit)
    assert resp.status_code == 302
    # An unchanged save records nothing.
    post_form(edit, {"body": "Refunds now take one working day.", "kind": "answer"}, token_from=edit)
    with app.app_context():
        answer = db.session.get(Answer, answer_id)
        revisions = db.session.scalars(select(AnswerRevision).where(AnswerRevision.answer_id == answer_id)
                                       .order_by(AnswerRevision.number)).all()
        assert [(r.number, r.kind, r.body) for r in revisions] == [
            (1, "follow_up", "We will come back to you on this."),
            (2, "answer", "Refunds now take one working day."),
        ]
        assert answer.revision_count == 2
        assert answer.updated_by_id == people["priya"]["id"]
        assert db.session.get(Question, question["id"]).status == "answered"
    assert [t for _, t, _ in _notes(app)] == [
        "Customer Care will come back to you on your question in “Ask Dana anything”.",
        "Your question in “Ask Dana anything” was answered.",
    ]
    section = page(client.get("/ask/ask-dana")).one("section", cls="qa-answer")
    assert "(1 change)" in section.text


@pytest.mark.parametrize("body", ["", "   ", "x" * 20_001])
def test_bad_answers(app, question, login_as, post_form, body):
    login_as("dana")
    resp = post_form(question["answer"], {"body": body, "kind": "answer"}, token_from=question["answer"])
    assert resp.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Answer)) is None


def test_bad_kind_and_missing_things(app, question, login_as, post_form):
    login_as("dana")
    assert post_form(question["answer"], {"body": "ok", "kind": "rant"}, token_from=question["answer"]).status_code == 422
    assert post_form("/ask/ask-dana/q/999999/answer", {"body": "ok"}, token_from="/ask/ask-dana").status_code == 404
    assert post_form("/ask/ask-dana/a/999999/edit", {"body": "ok"}, token_from="/ask/ask-dana").status_code == 404


def test_no_answers_once_archived_or_before_open(app, build, question):
    with build() as b:
        q = db.session.get(Question, question["id"])
        for when in ("archived", "scheduled"):
            with pytest.raises(services.Conflict):
                services.answer_question(q, author=b["dana"], body="Too late or too early", now=WHEN[when])


def test_merged_askers_hear_about_the_answer(app, build, people):
    with build() as b:
        event = b.event()
        target = b.question(event, "ann", "Will roaming stay free in the EU?")
        source = b.question(event, "bob", "Is EU roaming going to stay free?")
        services.merge_questions(source, target, actor=b["sam"], reason="Duplicate")
        services.answer_question(target, author=b["dana"], body="Yes.", now=WHEN["live"])
    assert sorted(u for u, _, _ in _notes(app)) == sorted([people["ann"]["id"], people["bob"]["id"]])
