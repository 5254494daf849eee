"""Idempotent writes on the Q&A forms (issue 18, finding 9): a question or an answer
sent twice with the same one-time token is stored once; both responses lead to it."""

from __future__ import annotations

from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Answer, AnswerRevision, Question
from tests.test_idempotency import submit_twice


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_question_double_submit_stores_one_question(app, client, event, login_as):
    login_as("ann")
    first, _ = submit_twice(client, f"{event['path']}/question", {"body": "Will 5G come to Hull this year?"},
                            event["path"])
    assert _count(app, Question) == 1
    with app.app_context():
        qid = db.session.scalar(select(Question.id))
    assert first.headers["Location"].endswith(f"#q{qid}")


def test_answer_and_its_edit_double_submit_store_once(app, client, build, login_as, clock):
    with build() as b:
        q = b.question(b.event(), "ann", "Why is my bill higher this month?")
        qid = q.id
    clock.set("live")
    login_as("dana")
    page = f"/ask/ask-dana/q/{qid}/answer"
    submit_twice(client, page, {"body": "Prices went up by 3.9% in April.", "kind": "answer"}, page)
    assert _count(app, Answer) == 1
    with app.app_context():
        answer_id = db.session.scalar(select(Answer.id))
    revisions = _count(app, AnswerRevision)
    edit = f"/ask/ask-dana/a/{answer_id}/edit"
    submit_twice(client, edit, {"body": "Prices went up by 3.9% in April, as announced.", "kind": "answer"}, edit)
    assert _count(app, AnswerRevision) == revisions + 1
