"""Answered Q&A questions are searchable as their own type."""

from __future__ import annotations

from forum.extensions import db
from forum.models import User
from forum.qa_events import services as qa
from tests.qa_events.conftest import WHEN, WINDOWS


def test_answered_questions_are_indexed_with_type_qa(app, make_user, search, backend):
    priya, dana, ann = make_user("priya", role="staff"), make_user("dana", role="executive"), make_user("ann")
    with app.app_context():
        event = qa.create_event(actor=db.session.get(User, priya["id"]), title="Ask Dana anything", slug="ask-dana",
                                executive=db.session.get(User, dana["id"]), executive_title="CCO", intro="Ask.",
                                now=WHEN["scheduled"], **WINDOWS)
        question = qa.submit_question(event, author=db.session.get(User, ann["id"]),
                                      body="When will satellite texting reach the highlands?", now=WHEN["open"])
        db.session.commit()
        assert backend.search("satellite").total == 0 if backend.exists() else True  # not answered yet
        qa.answer_question(question, author=db.session.get(User, dana["id"]),
                           body="Satellite texting reaches the highlands in spring.", now=WHEN["live"])
        db.session.commit()
        qid = question.id
    status, html = search(q="satellite", type="qa")
    assert status == 200
    assert "Ask Dana anything" in html
    assert f"/ask/ask-dana#q{qid}" in html
    assert "(Q&amp;A answer)" in html
    assert "Ask Dana anything" not in search(q="satellite", type="topic")[1]
