"""The case lifecycle (issue 12): every transition, as stored and as people see it, with
its CaseTransition row; staff resolving for the asker; auto-resolution with its reminder
(an injected clock); issue labels; bad input and permissions change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.actions import ActionError
from forum.extensions import db
from forum.helpdesk import cases, queries, services
from forum.models import CaseTransition, Incident, ModerationLogEntry, Post, Topic, User
from forum.models.base import utcnow
from tests.conftest import csrf_token
from tests.topics.dom import page


def _u(ident):
    return db.session.get(User, ident["id"])


def _t(app, tid):
    with app.app_context():
        t = db.session.get(Topic, tid)
        return {"state": t.state, "waiting_since": t.waiting_since, "label": t.issue_label,
                "incident": t.issue_incident_id, "resolved_at": t.resolved_at, "reminded_at": t.reminded_at}


def _history(app, tid):
    with app.app_context():
        rows = db.session.scalars(select(CaseTransition).where(CaseTransition.topic_id == tid).order_by(CaseTransition.id))
        return [(r.from_state, r.to_state, r.event) for r in rows]


@pytest.fixture
def case(build, make_user, category):
    """A member's question with no reply yet, a helpful member and a Customer Care agent."""
    asker, helper, care = make_user("asker"), make_user("helper"), make_user("care", role="staff")
    with build() as b:
        topic = b.topic(category, asker, title="No signal in Leeds")
        return {"topic": topic.id, "path": f"/t/{topic.id}-{topic.slug}", "asker": asker, "helper": helper,
                "care": care, "category": category}


def _queue_ids(app):
    with app.app_context():
        return [e.topic.id for e in queries.staff_queue(1).entries]


def test_a_new_question_waits_and_queues(app, case):
    assert _t(app, case["topic"])["state"] == "waiting"
    assert _history(app, case["topic"]) == [(None, "waiting", "asked")]
    assert _queue_ids(app) == [case["topic"]]


def test_staff_reply_answers_without_resolving_and_leaves_the_queue(app, build, case):
    with build() as b:
        b.reply(case["topic"], case["helper"], body="Try Wi-Fi calling.")  # a member: still waiting
    assert _t(app, case["topic"])["state"] == "waiting"
    with build() as b:
        b.reply(case["topic"], case["care"], body="We are looking at the mast.")
    t = _t(app, case["topic"])
    assert t["state"] == "answered"
    assert t["resolved_at"] is None
    assert _queue_ids(app) == []
    assert _history(app, case["topic"])[-1] == ("waiting", "answered", "staff_reply")


def test_official_answer_answers_not_resolves(app, build, case):
    with build() as b:
        reply = b.reply(case["topic"], case["helper"], body="Restart the phone.").id
    with app.app_context():
        services.mark_official_answer(db.session.get(Post, reply), actor=_u(case["care"]), reason="Works")
        db.session.commit()
    assert _t(app, case["topic"])["state"] == "answered"
    assert _history(app, case["topic"])[-1] == ("waiting", "answered", "official_answer")


def test_asker_writing_after_an_answer_puts_it_back_in_the_queue(app, build, case):
    with build() as b:
        b.reply(case["topic"], case["care"], body="Please restart.")
    before = _t(app, case["topic"])["waiting_since"]
    with build() as b:
        b.reply(case["topic"], case["asker"], body="Still nothing.")
    t = _t(app, case["topic"])
    assert t["state"] == "waiting"
    assert t["waiting_since"] > before
    assert _queue_ids(app) == [case["topic"]]
    assert _history(app, case["topic"])[-1] == ("answered", "waiting", "member_wrote")


def test_accepting_a_solution_resolves(app, build, case):
    with build() as b:
        reply = b.reply(case["topic"], case["care"], body="Reset network settings.").id
    with app.app_context():
        services.accept_solution(db.session.get(Post, reply), actor=_u(case["asker"]))
        db.session.commit()
    assert _t(app, case["topic"])["state"] == "resolved"
    assert _history(app, case["topic"])[-1] == ("answered", "resolved", "accepted")
    assert _queue_ids(app) == []


def test_yes_resolves_and_no_reopens_at_the_original_waiting_time(app, build, case):
    original = _t(app, case["topic"])["waiting_since"]
    with build() as b:
        b.reply(case["topic"], case["care"], body="Reset network settings.")
    with app.app_context():
        topic = db.session.get(Topic, case["topic"])
        services.rate_satisfaction(topic, user=_u(case["asker"]), answer="no", comment="Still no bars")
        db.session.commit()
    t = _t(app, case["topic"])
    assert t["state"] == "reopened"
    assert t["waiting_since"] == original
    assert _queue_ids(app) == [case["topic"]]
    with app.app_context():
        row = db.session.scalars(select(CaseTransition).order_by(CaseTransition.id.desc())).first()
        assert (row.from_state, row.to_state, row.event, row.reason, row.actor_id) == (
            "answered", "reopened", "said_no", "Still no bars", case["asker"]["id"])
    with build() as b:
        b.reply(case["topic"], case["care"], body="Try this instead.")
    with app.app_context():
        services.rate_satisfaction(db.session.get(Topic, case["topic"]), user=_u(case["asker"]), answer="yes")
        db.session.commit()
    assert _t(app, case["topic"])["state"] == "resolved"
    assert [e for _, _, e in _history(app, case["topic"])] == ["asked", "staff_reply", "said_no", "staff_reply", "said_yes"]


def test_the_asker_writing_after_a_resolution_reopens(app, build, case):
    with build() as b:
        reply = b.reply(case["topic"], case["care"], body="Fixed.").id
    with app.app_context():
        services.accept_solution(db.session.get(Post, reply), actor=_u(case["asker"]))
        db.session.commit()
    with build() as b:  # another member's "me too" does not reopen a resolved case
        b.reply(case["topic"], case["helper"], body="Thanks, that worked for me too.")
    assert _t(app, case["topic"])["state"] == "resolved"
    with build() as b:
        b.reply(case["topic"], case["asker"], body="It is back again.")
    assert _t(app, case["topic"])["state"] == "reopened"
    assert _history(app, case["topic"])[-1] == ("resolved", "reopened", "asker_wrote")
    assert _queue_ids(app) == [case["topic"]]


def test_staff_started_topics_and_announcements_never_queue(app, build, make_category, case):
    news = make_category(name="Announcements", slug="announcements", description="")
    with build() as b:
        own = b.topic(case["category"], case["care"], title="Planned maintenance tonight").id
        announcement = b.topic(news, case["asker"], title="A member posting in news").id
        b.reply(own, case["helper"], body="Will calls work?")
    assert _t(app, own)["state"] is None
    assert _t(app, announcement)["state"] is None
    assert _queue_ids(app) == [case["topic"]]
    assert _history(app, own) == []


# --- staff resolve on the asker's behalf ---------------------------------------------------


def test_staff_resolve_for_the_asker_needs_a_reason_and_is_logged_publicly(app, client, signed_in, case, notes):
    signed_in("staff", username="agent")
    path = f"/t/{case['topic']}/resolve"
    resp = client.post(path, data={"reason": "  ", "csrf_token": csrf_token(client, path)})
    assert resp.status_code == 422
    assert "Say why you are resolving this topic" in resp.get_data(as_text=True)
    assert _t(app, case["topic"])["state"] == "waiting"
    resp = client.post(path, data={"reason": "Confirmed fixed by phone", "csrf_token": csrf_token(client, path)})
    assert resp.status_code == 302
    assert _t(app, case["topic"])["state"] == "resolved"
    with app.app_context():
        entry = db.session.scalars(select(ModerationLogEntry)).one()
        assert (entry.action, entry.reason, entry.topic_id) == ("resolve_topic", "Confirmed fixed by phone", case["topic"])
    assert "Confirmed fixed by phone" in client.get("/moderation-log").get_data(as_text=True)
    assert any("Confirmed fixed by phone" in text for _, text, _ in notes(case["asker"], "resolved"))
    assert _history(app, case["topic"])[-1] == ("waiting", "resolved", "staff_resolved")
    # Resolving again is a conflict; nothing more is logged.
    resp = client.post(path, data={"reason": "Again", "csrf_token": csrf_token(client, path)})
    assert resp.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count(ModerationLogEntry.id))) == 1


def test_resolve_for_asker_refuses_bad_input(app, client, signed_in, build, case):
    signed_in("staff")
    token = csrf_token(client, case["path"])
    assert client.post("/t/99999/resolve", data={"reason": "x", "csrf_token": token}).status_code == 404
    assert client.post("/t/abc/resolve", data={"reason": "x", "csrf_token": token}).status_code == 404
    assert client.post(f"/t/{case['topic']}/resolve", data={"reason": "x"}).status_code in (400, 422)
    with build() as b:
        own = b.topic(case["category"], case["care"], title="Staff notice topic").id
    assert client.post(f"/t/{own}/resolve", data={"reason": "x", "csrf_token": token}).status_code == 409
    assert _t(app, case["topic"])["state"] == "waiting"
    with app.app_context():
        assert db.session.scalar(select(func.count(ModerationLogEntry.id))) == 0


def test_members_cannot_resolve_others_topics_or_set_labels(app, client, auth, case):
    auth.login(case["helper"]["username"])
    token = csrf_token(client, case["path"])
    assert client.post(f"/t/{case['topic']}/resolve", data={"reason": "done", "csrf_token": token}).status_code == 403
    assert client.post(f"/t/{case['topic']}/label", data={"label": "fixed", "csrf_token": token}).status_code == 403
    auth.logout()
    auth.login(case["asker"]["username"])  # not even the asker: they say Yes instead
    assert client.post(f"/t/{case['topic']}/resolve", data={"reason": "done", "csrf_token": token}).status_code == 403
    t = _t(app, case["topic"])
    assert t["state"] == "waiting"
    assert t["label"] is None
    with app.app_context():
        with pytest.raises(ActionError):
            cases.resolve_for_asker(db.session.get(Topic, case["topic"]), actor=_u(case["helper"]), reason="x")


def test_satisfaction_bad_input_changes_nothing(app, client, auth, build, case):
    with build() as b:
        b.reply(case["topic"], case["care"], body="Reset.")
    auth.login(case["asker"]["username"])
    token = csrf_token(client, case["path"])
    assert client.post(f"/t/{case['topic']}/satisfaction", data={"answer": "maybe", "csrf_token": token}).status_code == 400
    assert client.post("/t/99999/satisfaction", data={"answer": "no", "csrf_token": token}).status_code == 404
    assert _t(app, case["topic"])["state"] == "answered"


# --- auto-resolution -------------------------------------------------------------------------


def test_auto_resolve_reminds_once_then_resolves(app, build, case, notes):
    with build() as b:
        b.reply(case["topic"], case["care"], body="Reset network settings.")
    now = utcnow()
    with app.app_context():
        assert cases.auto_resolve(now + timedelta(days=2)) == (0, 0)  # too early
        db.session.commit()
        assert cases.auto_resolve(now + timedelta(days=3, minutes=1)) == (1, 0)
        db.session.commit()
        # Running again the same day sends no second reminder.
        assert cases.auto_resolve(now + timedelta(days=3, hours=2)) == (0, 0)
        db.session.commit()
    reminders = notes(case["asker"], "reminder")
    assert len(reminders) == 1
    assert "Did it solve your problem?" in reminders[0][1]
    assert _t(app, case["topic"])["state"] == "answered"
    with app.app_context():
        assert cases.auto_resolve(now + timedelta(days=9, hours=23)) == (0, 0)  # 7 days after the reminder: not yet
        assert cases.auto_resolve(now + timedelta(days=10, minutes=2)) == (0, 1)
        db.session.commit()
    assert _t(app, case["topic"])["state"] == "resolved"
    with app.app_context():
        row = db.session.scalars(select(CaseTransition).order_by(CaseTransition.id.desc())).first()
        assert (row.event, row.actor_id) == ("auto_resolved", None)
        assert "7 days" in row.reason
    assert len(notes(case["asker"], "resolved")) == 1


def test_the_asker_replying_stops_auto_resolution(app, build, case):
    with build() as b:
        b.reply(case["topic"], case["care"], body="Reset network settings.")
    now = utcnow()
    with app.app_context():
        cases.auto_resolve(now + timedelta(days=4))
        db.session.commit()
    with build() as b:
        b.reply(case["topic"], case["asker"], body="Did not help.")
    with app.app_context():
        assert cases.auto_resolve(now + timedelta(days=30)) == (0, 0)
        db.session.commit()
    assert _t(app, case["topic"])["state"] == "waiting"


def test_auto_resolve_cli(app, build, case):
    with build() as b:
        b.reply(case["topic"], case["care"], body="Reset network settings.")
    runner = app.test_cli_runner()
    later = (utcnow() + timedelta(days=4)).strftime("%Y-%m-%dT%H:%M:%S")
    result = runner.invoke(args=["helpdesk", "auto-resolve", "--now", later])
    assert result.exit_code == 0, result.output
    assert "Reminded 1 asker; resolved 0 topics." in result.output
    assert _t(app, case["topic"])["reminded_at"] is not None
    result = runner.invoke(args=["helpdesk", "auto-resolve", "--now", "yesterday"])
    assert result.exit_code == 2
    assert "--now" in result.output


# --- issue labels ------------------------------------------------------------------------------


def test_staff_set_issue_labels_shown_filterable_and_logged(app, client, signed_in, build, case):
    with app.app_context():
        incident = Incident(title="Leeds mast outage", state="investigating", severity="major",
                            created_by_id=case["care"]["id"])
        db.session.add(incident)
        db.session.commit()
        incident_id = incident.id
    with build() as b:
        b.topic(case["category"], case["helper"], title="Unrelated question")
    signed_in("staff")
    path = f"/t/{case['topic']}/label"
    resp = client.post(path, data={"label": "known_issue", "incident": incident_id, "csrf_token": csrf_token(client, path)})
    assert resp.status_code == 302
    t = _t(app, case["topic"])
    assert (t["label"], t["incident"]) == ("known_issue", incident_id)
    doc = page(client.get(case["path"]))
    assert doc.one("div", cls="topic-status").find("span", cls="tag-issue").text == "Known issue"
    listing = client.get(f"/c/{case['category']['slug']}?label=known_issue")
    titles = [a.text for a in page(listing).find_all("a", cls="topic-title")]
    assert titles == ["No signal in Leeds"]
    assert "Known issue" in page(client.get(f"/c/{case['category']['slug']}")).one("table").text
    with app.app_context():
        entry = db.session.scalars(select(ModerationLogEntry)).one()
        assert entry.action == "set_issue_label"
        assert "none → Known issue" in entry.summary
    # Clearing it is logged too.
    client.post(path, data={"label": "", "csrf_token": csrf_token(client, path)})
    assert _t(app, case["topic"])["label"] is None
    with app.app_context():
        assert db.session.scalar(select(func.count(ModerationLogEntry.id))) == 2


@pytest.mark.parametrize(("data", "status"), [
    ({"label": "broken"}, 422),
    ({"label": "fixed", "incident": "abc"}, 422),
    ({"label": "fixed", "incident": "99999"}, 404),
    ({"label": "", "incident": "1"}, 422),
])
def test_issue_label_bad_input_changes_nothing(app, client, signed_in, case, data, status):
    signed_in("staff")
    path = f"/t/{case['topic']}/label"
    resp = client.post(path, data={**data, "csrf_token": csrf_token(client, path)})
    assert resp.status_code == status
    assert _t(app, case["topic"])["label"] is None
    with app.app_context():
        assert db.session.scalar(select(func.count(ModerationLogEntry.id))) == 0


def test_unknown_label_filter_is_400(client, case):
    assert client.get(f"/c/{case['category']['slug']}?label=nope").status_code == 400


# --- the queue page -------------------------------------------------------------------------------


def test_queue_page_shows_the_wait_against_the_board_target(app, client, signed_in, build, case):
    with app.app_context():
        t = db.session.get(Topic, case["topic"])
        t.waiting_since = utcnow() - timedelta(hours=5)
        db.session.commit()
    with build() as b:
        fresh = b.topic(case["category"], case["helper"], title="Fresh question here").id
    signed_in("staff")
    doc = page(client.get("/staff/queue"))
    rows = doc.one("table", cls="staff-queue").find_all("tr")[1:]
    assert [r.find("a", cls="topic-title").text for r in rows] == ["No signal in Leeds", "Fresh question here"]
    assert "wait-over" in rows[0].find("td", cls="wait").classes
    assert "over target (4 h)" in rows[0].text
    assert "wait-ok" in rows[1].find("td", cls="wait").classes
    # A board with a longer target: the same wait is within it.
    with app.app_context():
        db.session.get(Topic, fresh).category.response_target_hours = 24
        db.session.commit()
    rows = page(client.get("/staff/queue")).one("table", cls="staff-queue").find_all("tr")[1:]
    assert "within target (24 h)" in rows[0].text


def test_the_queue_is_one_query(app, build, case, make_user):
    from sqlalchemy import event

    members = [make_user(f"member{i}") for i in range(5)]
    with build() as b:
        for i, member in enumerate(members):
            b.topic(case["category"], member, title=f"Question number {i}")
    with app.app_context():
        seen = []
        listener = lambda *a, **k: seen.append(a[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            q = queries.staff_queue(1)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert len(q.entries) == 6
        assert q.waiting == 6
        assert len(seen) == 1, seen


def test_search_documents_read_the_case_state(app, build, case):
    from forum.search import documents

    with build() as b:
        reply = b.reply(case["topic"], case["care"], body="Reset network settings.").id

    def resolved_flags():
        with app.app_context():
            [(_, topic_doc)] = list(documents.topic_docs(db.session, [case["topic"]]))
            [(_, reply_doc)] = list(documents.reply_docs(db.session, post_ids=[reply]))
            return topic_doc["resolved"], reply_doc["resolved"]

    with app.app_context():  # an official answer alone does not make it resolved for search either
        services.mark_official_answer(db.session.get(Post, reply), actor=_u(case["care"]), reason="Works")
        db.session.commit()
    assert resolved_flags() == (False, False)
    with app.app_context():
        services.rate_satisfaction(db.session.get(Topic, case["topic"]), user=_u(case["asker"]), answer="yes")
        db.session.commit()
    assert resolved_flags() == (True, True)
