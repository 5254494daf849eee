"""Who may do what, for every role and for anonymous visitors; creating sessions;
the public pages; missing sessions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Answer, QAEvent, QAEventTransition, Question
from tests.qa_events.conftest import ROLES
from tests.topics.dom import page

NEW_EVENT = {
    "title": "Ask Dana about 5G",
    "slug": "ask-dana-5g",
    "executive_title": "Chief Customer Officer",
    "intro": "Bring your **5G** questions.",
    "questions_open_at": "2030-01-10T12:00",
    "questions_close_at": "2030-01-11T13:00",
    "live_starts_at": "2030-01-11T12:00",
    "live_ends_at": "2030-01-11T13:00",
    "question_limit": "3",
}
#: The role that can do each action; the session's executive is ``dana``.
CAN_CREATE = {"staff", "admin"}
CAN_MODERATE = {"moderator", "staff", "admin"}
CAN_ANSWER = {"staff", "admin", "executive"}
ROLE_USER = {"member": "cy", "moderator": "sam", "staff": "priya", "executive": "dana", "admin": "alex"}


@pytest.fixture
def q(build):
    with build() as b:
        question = b.question(b.event(), "ann", "Why is my bill higher this month?")
        return question.id


def _events(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(QAEvent.id)))


@pytest.mark.parametrize("role", ROLES)
def test_create_matrix(app, client, people, login_as, post_form, role):
    login_as(ROLE_USER[role])
    data = {**NEW_EVENT, "executive_id": str(people["dana"]["id"])}
    resp = post_form("/ask/new", data, token_from="/")
    if role not in CAN_CREATE:
        assert resp.status_code == 403
        assert client.get("/ask/new").status_code == 403
        assert _events(app) == 0
        return
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert resp.location == "/ask/ask-dana-5g"
    doc = page(client.get("/ask/ask-dana-5g"))
    assert doc.one("h1").text == "Ask Dana about 5G"
    exec_box = doc.one("section", cls="qa-executive")
    assert exec_box.one("span", cls="badge").text == "Head of Customer Care"
    assert "Chief Customer Officer" in exec_box.text
    assert exec_box.find("strong").text == "5G"


def test_create_anonymous_goes_to_sign_in(app, client, post_form):
    assert client.get("/ask/new").location.startswith("/login")
    resp = post_form("/ask/new", NEW_EVENT, token_from="/login")
    assert resp.status_code == 302
    assert resp.location.startswith("/login")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "Give the session a title."),
        ({"slug": "Not A Slug"}, "lower-case letters"),
        ({"slug": "new"}, "already uses that slug"),
        ({"live_ends_at": "2030-01-11T11:00"}, "must end after it starts"),
        ({"questions_close_at": "2030-01-10T11:00"}, "close after they open"),
        ({"live_starts_at": "2030-01-09T12:00"}, "cannot start before questions open"),
        ({"question_limit": "0"}, "Number must be between"),
        ({"questions_open_at": "tomorrow"}, "Not a valid datetime value"),
        ({"executive_id": "nobody"}, "Choose one of the executives listed."),
    ],
)
def test_create_bad_input(app, people, login_as, post_form, change, message):
    login_as("priya")
    data = {**NEW_EVENT, "executive_id": str(people["dana"]["id"]), **change}
    resp = post_form("/ask/new", data, token_from="/")
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert _events(app) == 0


def test_create_refuses_a_non_executive_and_a_taken_slug(app, people, login_as, post_form, event):
    login_as("priya")
    resp = post_form("/ask/new", {**NEW_EVENT, "executive_id": str(people["ann"]["id"])}, token_from="/")
    assert resp.status_code == 422
    resp = post_form("/ask/new", {**NEW_EVENT, "slug": event["slug"], "executive_id": str(people["dana"]["id"])}, token_from="/")
    assert "already uses that slug" in resp.get_data(as_text=True)
    assert _events(app) == 1


@pytest.mark.parametrize("role", ROLES)
def test_ask_vote_matrix(app, client, q, login_as, post_form, role):
    login_as(ROLE_USER[role])
    resp = post_form("/ask/ask-dana/question", {"body": f"A question from the {role}"}, token_from="/ask/ask-dana")
    assert resp.status_code == 302  # any verified account may ask ...
    resp = post_form(f"/ask/ask-dana/q/{q}/vote", {"vote": "1"}, token_from="/ask/ask-dana")
    assert resp.status_code == 303  # ... and vote


@pytest.mark.parametrize("role", ROLES)
def test_moderation_matrix(app, client, q, login_as, post_form, role):
    login_as(ROLE_USER[role])
    resp = post_form(f"/ask/ask-dana/q/{q}/reject", {"reason": "Off-topic"}, token_from="/ask/ask-dana")
    with app.app_context():
        status = db.session.get(Question, q).status
    if role in CAN_MODERATE:
        assert resp.status_code == 303
        assert status == "declined"
    else:
        assert resp.status_code == 403
        assert status == "open"
    details = page(client.get("/ask/ask-dana")).find_all("details", cls="qa-moderate")
    assert bool(details) == (role in CAN_MODERATE and status == "open")


@pytest.mark.parametrize("role", ROLES)
def test_answer_matrix(app, client, q, login_as, post_form, role):
    login_as(ROLE_USER[role])
    path = f"/ask/ask-dana/q/{q}/answer"
    resp = post_form(path, {"body": "Here is the answer.", "kind": "answer"}, token_from="/ask/ask-dana")
    with app.app_context():
        answers = db.session.scalar(select(func.count(Answer.id)))
    if role in CAN_ANSWER:
        assert resp.status_code == 302
        assert answers == 1
    else:
        assert resp.status_code == 403
        assert answers == 0


def test_another_executive_cannot_answer(app, q, login_as, post_form):
    login_as("other_exec")
    resp = post_form(f"/ask/ask-dana/q/{q}/answer", {"body": "Not my session."}, token_from="/ask/ask-dana")
    assert resp.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_transition_matrix(app, q, login_as, post_form, role):
    login_as(ROLE_USER[role])
    resp = post_form("/ask/ask-dana/transition", {"to_state": "live"}, token_from="/ask/ask-dana")
    with app.app_context():
        moved = db.session.scalar(select(func.count(QAEventTransition.id)).where(QAEventTransition.actor_id.is_not(None)))
    if role in CAN_CREATE:
        assert resp.status_code == 303
        assert moved == 1
    else:
        assert resp.status_code == 403
        assert moved == 0


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/ask/ask-dana/question", {"body": "An anonymous question"}),
        ("/ask/ask-dana/q/{q}/vote", {"vote": "1"}),
        ("/ask/ask-dana/q/{q}/reject", {"reason": "x"}),
        ("/ask/ask-dana/q/{q}/merge", {"reason": "x", "into": "1"}),
        ("/ask/ask-dana/q/{q}/answer", {"body": "x"}),
        ("/ask/ask-dana/remind", {}),
        ("/ask/ask-dana/transition", {"to_state": "live"}),
    ],
)
def test_anonymous_posts_go_to_sign_in(app, client, q, post_form, path, data):
    resp = post_form(path.format(q=q), data, token_from="/login")
    assert resp.status_code == 302
    assert resp.location.startswith("/login")


def test_unverified_member_is_told_to_confirm(app, client, q, make_user, auth, post_form):
    user = make_user("newbie", verified=False)
    auth.login(user["username"])
    resp = post_form(f"/ask/ask-dana/q/{q}/vote", {"vote": "1"}, token_from="/ask/ask-dana")
    assert resp.status_code == 403
    assert "Confirm your email" in resp.get_data(as_text=True)


def test_public_pages_and_missing_sessions(app, client, q, clock):
    assert client.get("/ask/ask-dana").status_code == 200
    assert client.get("/ask/ask-dana?sort=newest").status_code == 200
    assert client.get("/ask/ask-dana?sort=answered").status_code == 200
    assert client.get("/ask/ask-dana?sort=bogus").status_code == 404
    assert client.get("/ask/ask-dana?page=9").status_code == 404
    assert client.get("/ask/no-such-session").status_code == 404
    assert client.get("/ask/" + "x" * 300).status_code == 404
    assert client.get("/ask/no-such-session/question").status_code == 404
    doc = page(client.get("/ask"))
    assert "Ask Dana anything" in doc.text
    # The CSRF token is required for every POST.
    assert client.post(f"/ask/ask-dana/q/{q}/vote", data={"vote": "1"}).status_code == 400


def test_index_groups_sessions_by_state(app, client, build, clock):
    with build() as b:
        b.event("upcoming", questions_open_at=clock.now.replace(year=2031), questions_close_at=clock.now.replace(year=2031, month=2),
                live_starts_at=clock.now.replace(year=2031, month=2), live_ends_at=clock.now.replace(year=2031, month=3))
        b.event("past", questions_open_at=clock.now.replace(year=2029), questions_close_at=clock.now.replace(year=2029, month=2),
                live_starts_at=clock.now.replace(year=2029, month=2), live_ends_at=clock.now.replace(year=2029, month=3),
                created=clock.now.replace(year=2028))
        b.event("now-open")
    doc = page(client.get("/ask"))
    sections = {s.one("h2").text: [a.get("href") for a in s.find_all("a", cls="topic-title")] for s in doc.find_all("section")}
    assert sections["Upcoming"] == ["/ask/upcoming"]
    assert sections["Open for questions"] == ["/ask/now-open"]
    assert sections["Archive"] == ["/ask/past"]
    assert sections["Live now"] == []


def test_remind_me(app, client, build, login_as, post_form, clock):
    with build() as b:
        b.event()
    clock.set("scheduled")
    login_as("bob")
    resp = post_form("/ask/ask-dana/remind", {}, token_from="/ask/ask-dana")
    assert resp.status_code == 303
    assert "You will be notified when this session goes live." in client.get("/ask/ask-dana").get_data(as_text=True)
    clock.set("live")
    assert post_form("/ask/ask-dana/remind", {}, token_from="/ask/ask-dana").status_code == 409


def test_session_page_query_count(app, client, build, count_queries, make_user):
    """The page runs a fixed number of queries, however many questions and answers."""
    from forum.qa_events import services
    from tests.qa_events.conftest import WHEN, user

    members = [make_user(f"asker{i}") for i in range(12)]
    with build() as b:
        event = b.event()
        for m in members:
            qq = services.submit_question(event, author=user(m), body=f"Question from {m['username']}", now=WHEN["open"])
            services.answer_question(qq, author=b["dana"], body="An answer", now=WHEN["live"])
    client.get("/ask/ask-dana")
    with count_queries() as counter:
        assert client.get("/ask/ask-dana").status_code == 200
    assert counter.count <= 8, counter.statements
