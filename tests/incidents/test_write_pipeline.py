"""The incident views on the shared write pipeline: the core error family, the core
reason rules, JSON refusals from the boundary, and ``require`` saying why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum import actions
from forum.extensions import db
from forum.incidents import services
from forum.models import AffectedReport, IncidentFollow, IncidentTopic, IncidentUpdate, ModerationLogEntry, User
from forum.models.base import utcnow
from forum.text import REASON_LENGTH_MESSAGE
from tests.topics.dom import page


def test_incident_errors_belong_to_the_core_family():
    assert issubclass(services.IncidentError, actions.ActionError)
    assert issubclass(services.PermissionDenied, services.IncidentError)
    assert issubclass(services.PermissionDenied, actions.PermissionDenied)
    assert services.PermissionDenied("no").status == 403
    assert services.IncidentError("no", field="body").field == "body"


@pytest.fixture
def member_topic(build, make_user, category):
    author = make_user("jess_k")
    with build() as b:
        return b.topic(category, author, title="No signal at all in Glasgow").id


@pytest.mark.parametrize(
    ("reason", "message"),
    [("Same \x00 outage", "control characters"), ("Same\x07outage", "control characters"),
     ("x" * 501, REASON_LENGTH_MESSAGE)],
)
def test_link_reason_follows_the_core_rules(app, signed_in, post_form, incident, member_topic, reason, message):
    signed_in("staff")
    path = f"/status/{incident}"
    resp = post_form(f"{path}/link", {"topic": str(member_topic), "reason": reason}, token_from=path)
    assert resp.status_code == 422
    assert message in page(resp).one("div", cls="error-summary").text
    with app.app_context():
        assert db.session.scalar(select(func.count(IncidentTopic.id))) == 0
        assert db.session.scalar(select(func.count(ModerationLogEntry.id))) == 0


@pytest.mark.parametrize(
    ("reason", "message"),
    [("typo \x00", "control characters"), ("x" * 501, REASON_LENGTH_MESSAGE)],
)
def test_correction_reason_follows_the_core_rules(app, signed_in, post_form, incident, reason, message):
    signed_in("staff")
    with app.app_context():
        uid = db.session.scalar(select(IncidentUpdate.id))
    path = f"/status/updates/{uid}/correct"
    resp = post_form(path, {"body": "Corrected.", "reason": reason}, token_from=path)
    assert resp.status_code == 422
    assert message in page(resp).one("div", cls="error-summary").text
    with app.app_context():
        assert db.session.get(IncidentUpdate, uid).revision_count == 0


def test_a_refused_link_answers_json_clients(app, signed_in, post_form, incident, member_topic):
    signed_in("staff")
    path = f"/status/{incident}"
    assert post_form(f"{path}/link", {"topic": str(member_topic), "reason": "Same"}, token_from=path).status_code == 302
    resp = post_form(f"{path}/link", {"topic": str(member_topic), "reason": "Again"}, token_from=path,
                     headers={"Accept": "application/json"})
    assert resp.status_code == 400
    assert resp.get_json() == {"error": f"That topic is already linked to incident #{incident}.", "status": 400,
                               "field": "topic"}


def test_unverified_member_cannot_follow_and_is_told_why(app, signed_in, post_form, incident):
    member = signed_in("member", verified=False)
    path = f"/status/{incident}"
    resp = post_form(f"{path}/follow", {}, token_from=path)
    assert resp.status_code == 403
    assert "Confirm your email" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(IncidentFollow.user_id == member["id"])) == 0


def test_suspended_member_pressing_affected_is_told_why(app, signed_in, post_form, incident):
    member = signed_in("member")
    with app.app_context():
        db.session.get(User, member["id"]).suspended_until = utcnow() + timedelta(days=1)
        db.session.commit()
    path = f"/status/{incident}"
    resp = post_form(f"{path}/affected", {"area": ""}, token_from=path)
    assert resp.status_code == 403
    assert "suspended" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(AffectedReport.id))) == 0
