"""The write pipeline's core: the request boundary, the error family, text hygiene
and staff-action recording, tested without any feature's views."""

from __future__ import annotations

import click
import pytest
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException
from wtforms import StringField

from forum import actions, text
from forum.actions import ActionError, Conflict, NotFound, PermissionDenied, action, cli_action
from forum.audit import ReasonRequired, record_staff_action
from forum.extensions import db
from forum.models import Category, ModerationLogEntry, Notification, User


class _Form(FlaskForm):
    class Meta:
        csrf = False

    title = StringField()
    body = StringField()


def _categories() -> int:
    return db.session.scalar(select(func.count(Category.id)))


def _add(name="Billing"):
    db.session.add(Category(name=name, slug=name.lower(), position=0))
    db.session.flush()


def test_the_error_family_carries_message_field_and_status():
    assert (ActionError("x").status, PermissionDenied("x").status, NotFound("x").status, Conflict("x").status) == (
        400, 403, 404, 409)
    err = ActionError("Too long", field="title", status=422)
    assert (err.message, err.field, err.status, str(err)) == ("Too long", "title", 422, "Too long")
    assert issubclass(ActionError, ValueError)


def test_success_commits_once(app):
    with app.test_request_context("/", method="POST"):
        with action() as done:
            _add()
        assert done
        assert done.error is None
        db.session.remove()
        assert _categories() == 1


def test_an_action_error_rolls_back_and_lands_on_the_form_field(app):
    with app.test_request_context("/", method="POST"):
        form = _Form()
        with action(form, field="body") as done:
            _add()
            raise ActionError("Titles are 5 to 150 characters long.", field="title")
        assert not done
        assert done.error.field == "title"
        assert form.title.errors == ["Titles are 5 to 150 characters long."]
        assert list(form.body.errors) == []
        assert _categories() == 0


def test_an_error_without_a_known_field_goes_to_the_default_field_then_the_form(app):
    with app.test_request_context("/", method="POST"):
        form = _Form()
        with action(form, field="body"):
            raise ActionError("Nope", field="no_such_field")
        assert form.body.errors == ["Nope"]
        bare = _Form()
        with action(bare):
            raise ActionError("Refused")
        assert bare.form_errors == ["Refused"]
        assert ["Refused"] in bare.errors.values()


def test_without_a_form_the_error_is_flashed(app):
    with app.test_request_context("/", method="POST"):
        with action() as done:
            raise PermissionDenied("Only staff can pin topics.")
        assert not done
        assert get_flashed_messages(with_categories=True) == [("error", "Only staff can pin topics.")]


def test_quiet_reports_nothing(app):
    with app.test_request_context("/", method="POST"):
        with action(quiet=True) as done:
            raise Conflict("Changed meanwhile")
        assert done.error.status == 409
        assert get_flashed_messages() == []


def test_json_requests_get_the_status_and_message(app):
    with app.test_request_context("/", method="POST", json={"x": 1}):
        def refused():
            with action(_Form()):
                _add()
                raise PermissionDenied("You cannot reply to this topic.", field="body")

        with pytest.raises(HTTPException) as caught:
            refused()
        response = caught.value.response
        assert response.status_code == 403
        assert response.get_json() == {"error": "You cannot reply to this topic.", "status": 403, "field": "body"}
        assert _categories() == 0


def test_an_integrity_error_at_commit_becomes_a_message(app):
    with app.test_request_context("/", method="POST"):
        with action() as first:
            _add("Roaming")
        with action(integrity_message="That board exists already.") as second:
            _add("Roaming")  # the same slug: the unique constraint refuses it
        assert first
        assert not second
        assert get_flashed_messages() == ["That board exists already."]
        assert _categories() == 1


def test_other_exceptions_roll_back_and_propagate(app):
    with app.test_request_context("/", method="POST"):
        def broken():
            with action():
                _add()
                1 / 0  # noqa: B018

        with pytest.raises(ZeroDivisionError):
            broken()
        assert _categories() == 0


def test_cli_action_commits_or_turns_the_error_into_a_click_exception(app):
    with app.app_context():
        def refused():
            with cli_action():
                _add()
                raise NotFound("No such board")

        with pytest.raises(click.ClickException, match="No such board"):
            refused()
        assert _categories() == 0
        with cli_action():
            _add()
        db.session.remove()
        assert _categories() == 1


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("  Roaming   in\tSpain \n", {}, "Roaming in Spain"),
        ("abcd", {"min_length": 5, "length_message": "short"}, "short"),
        ("x" * 11, {"max_length": 10}, "At most 10 characters."),
        ("a\x00b", {}, text.NUL_MESSAGE),
        (None, {}, ""),
    ],
)
def test_clean_line(value, kwargs, expected):
    if expected.startswith(("short", "At most", "The text")):
        with pytest.raises(ActionError) as caught:
            text.clean_line(value, field="title", **kwargs)
        assert (caught.value.message, caught.value.field) == (expected, "title")
    else:
        assert text.clean_line(value, field="title", **kwargs) == expected


def test_clean_block_keeps_lines_and_refuses_empty_or_nul():
    assert text.clean_block("a\r\nb\n\n c", empty_message="empty") == "a\nb\n\n c"
    with pytest.raises(ActionError, match="empty"):
        text.clean_block(" \r\n ", empty_message="empty")
    with pytest.raises(ActionError, match="NUL"):
        text.clean_block("a\x00")


def test_clean_reason_is_one_rule_for_every_staff_action():
    class FeatureError(ActionError):
        pass

    assert text.clean_reason("  Off   topic\n") == "Off topic"
    assert text.clean_reason("") == ""
    for bad, message in [("", text.REASON_REQUIRED_MESSAGE), ("x" * 501, text.REASON_LENGTH_MESSAGE),
                         ("bad\x00byte", "control characters"), ("bell\x07", "control characters")]:
        with pytest.raises(FeatureError, match=message) as caught:
            text.clean_reason(bad, required=True, error=FeatureError)
        assert caught.value.field == "reason"
    assert text.collapse_whitespace(None) == ""
    assert text.normalise_newlines(None) == ""


def test_record_staff_action_logs_and_tells_the_member(app, make_user):
    mod, member = make_user("mona", role="moderator"), make_user("mike")
    with app.app_context():
        entry = record_staff_action(db.session.get(User, mod["id"]), "lock_topic", subject=member["id"],
                                    reason="Resolved elsewhere", target_type="topic", target_id=7,
                                    text="A moderator locked your topic.", url="/t/7")
        db.session.commit()
        assert (entry.actor_id, entry.subject_user_id, entry.reason) == (mod["id"], member["id"], "Resolved elsewhere")
        note = db.session.scalar(select(Notification).where(Notification.user_id == member["id"]))
        assert (note.kind, note.text, note.url) == ("moderation", "A moderator locked your topic.", "/t/7")
        with pytest.raises(ReasonRequired):
            record_staff_action(None, "hide_post", subject=None, reason="  ", target_type="post", target_id=1)
        db.session.rollback()
        assert db.session.scalar(select(func.count(ModerationLogEntry.id))) == 1


def test_the_json_check_follows_the_request(app):
    with app.test_request_context("/", headers={"Accept": "application/json"}):
        assert actions.wants_json()
    with app.test_request_context("/", headers={"Accept": "text/html"}):
        assert not actions.wants_json()
