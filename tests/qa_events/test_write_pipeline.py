"""The Q&A services on the core write pipeline: their errors belong to the one error
family, and what staff type (reasons, the introduction) follows the core's text rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum import actions
from forum.extensions import db
from forum.models import ModerationLogEntry, QAEvent, QAEventTransition, Question
from forum.qa_events import services
from forum.text import NUL_MESSAGE, REASON_MAX, REASON_REQUIRED_MESSAGE
from tests.conftest import csrf_token
from tests.qa_events.conftest import WHEN, WINDOWS

CONTROL_MESSAGE = "The reason cannot contain control characters."


def test_errors_belong_to_the_core_family():
    assert issubclass(services.QAError, actions.ActionError)
    assert issubclass(services.PermissionDenied, services.QAError)
    assert issubclass(services.PermissionDenied, actions.PermissionDenied)
    assert issubclass(services.Conflict, services.QAError)
    assert issubclass(services.Conflict, actions.Conflict)
    assert (services.QAError("x").status, services.PermissionDenied("x").status, services.Conflict("x").status) == (
        400, 403, 409)
    error = services.QAError("Too long.", field="body", status=422)
    assert (error.message, error.field, error.status) == ("Too long.", "body", 422)


@pytest.mark.parametrize("bad", ["late\x00", "bell \x07 ringing"])
def test_transition_reasons_refuse_control_characters(app, build, bad):
    with build() as b:
        event = b.event()
        with pytest.raises(services.QAError) as refused:
            services.transition(event, "live", actor=b["priya"], reason=bad, now=WHEN["open"])
        assert (refused.value.message, refused.value.field) == (CONTROL_MESSAGE, "reason")
        db.session.rollback()


def test_transition_reasons_are_refused_not_cut_when_too_long(app, build):
    with build() as b:
        event = b.event()
        db.session.commit()
        with pytest.raises(services.QAError, match=f"at most {REASON_MAX}"):
            services.transition(event, "live", actor=b["priya"], reason="x" * (REASON_MAX + 1), now=WHEN["open"])
        db.session.rollback()
        assert services.transition(event, "live", actor=b["priya"], reason="x" * REASON_MAX, now=WHEN["open"])


def test_a_nul_in_a_transition_note_is_refused_on_the_page(app, client, event, login_as, post_form):
    login_as("priya")
    resp = post_form(f"{event['path']}/transition", {"to_state": "live", "reason": "Dana\x00 is late"},
                     token_from=event["path"])
    assert resp.status_code == 400
    assert CONTROL_MESSAGE in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(QAEventTransition.id))) == 0
        assert db.session.get(QAEvent, event["id"]).state == "scheduled"  # not even the clock's move is stored


@pytest.mark.parametrize("step", ["merge", "reject"])
def test_moderation_reasons_refuse_nul_and_log_nothing(app, build, step):
    with build() as b:
        event = b.event()
        source = b.question(event, "ann", "Will roaming stay free in the EU?")
        target = b.question(event, "bob", "Is EU roaming going to stay free?")
        db.session.commit()
        moderate = {"merge": lambda: services.merge_questions(source, target, actor=b["sam"], reason="dup\x00licate"),
                    "reject": lambda: services.reject_question(source, actor=b["sam"], reason="off\x00topic")}[step]
        with pytest.raises(services.QAError) as refused:
            moderate()
        assert (refused.value.message, refused.value.field) == (CONTROL_MESSAGE, "reason")
        db.session.rollback()
        assert db.session.scalar(select(func.count(ModerationLogEntry.id))) == 0
        assert db.session.get(Question, source.id).status == "open"


def test_merge_needs_a_reason_with_the_core_message(app, build):
    with build() as b:
        event = b.event()
        source = b.question(event, "ann", "Will roaming stay free in the EU?")
        target = b.question(event, "bob", "Is EU roaming going to stay free?")
        with pytest.raises(services.QAError, match=REASON_REQUIRED_MESSAGE):
            services.merge_questions(source, target, actor=b["sam"], reason=" \n ")
        db.session.rollback()


def test_a_declined_reason_is_still_at_most_300_characters(app, build):
    with build() as b:
        question = b.question(b.event(), "ann")
        db.session.commit()
        with pytest.raises(services.QAError, match="at most 300"):
            services.reject_question(question, actor=b["sam"], reason="x" * 301)
        db.session.rollback()
        assert services.reject_question(question, actor=b["sam"], reason="  Off   topic ").declined_reason == "Off topic"


def test_a_nul_in_the_introduction_says_so(app, build):
    with build() as b:
        with pytest.raises(services.QAError) as refused:
            services.create_event(
                actor=b["priya"], title="Ask Dana anything", slug="ask-dana", executive=b["dana"],
                intro="Ask \x00 anything", now=WHEN["scheduled"], **WINDOWS,
            )
        assert (refused.value.message, refused.value.field) == (NUL_MESSAGE, "intro")
        db.session.rollback()


def test_titles_keep_their_length_message(app, build):
    with build() as b:
        with pytest.raises(services.QAError, match="The title must be 5 to 150 characters long.") as refused:
            services.create_event(
                actor=b["priya"], title="Ask", slug="ask-dana", executive=b["dana"], now=WHEN["scheduled"],
                **WINDOWS,
            )
        assert refused.value.field == "title"
        db.session.rollback()


def test_voting_for_ones_own_question_by_json_says_why(app, client, build, login_as):
    with build() as b:
        question = b.question(b.event(), "ann")
        qid = question.id
    login_as("ann")
    resp = client.post(f"/ask/ask-dana/q/{qid}/vote", data={"vote": "1", "csrf_token": csrf_token(client, "/ask/ask-dana")},
                       headers={"Accept": "application/json"})
    assert resp.status_code == 403
    assert resp.get_json() == {"error": "You cannot vote for your own question.", "status": 403}


def test_the_cli_tick_rolls_back_when_a_move_fails(app, build, runner, clock, monkeypatch):
    with build() as b:
        b.event()
    clock.set(WHEN["live"] + timedelta(minutes=1))

    def refuse(*args, **kwargs):
        raise services.Conflict("Changed meanwhile.")

    monkeypatch.setattr(services, "_notify_live", refuse)
    result = runner.invoke(args=["qa-events", "tick"])
    assert result.exit_code == 1
    assert "Changed meanwhile." in result.output
    with app.app_context():
        assert db.session.scalar(select(QAEvent.state)) == "scheduled"
        assert db.session.scalar(select(func.count(QAEventTransition.id))) == 0
