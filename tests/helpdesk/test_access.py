"""Who may do what, for every help-desk action: anonymous visitors are sent to sign
in, signed-in users without the right get 403, and nothing changes."""

from __future__ import annotations

import pytest

from forum.extensions import db
from forum.helpdesk import services
from forum.models import Kudos, Post, Topic, TopicSubscription, User

ROLES = ("anonymous", "member", "author", "moderator", "staff", "executive", "admin")
STAFF = {"moderator", "staff", "executive", "admin"}
SIGNED_IN = set(ROLES) - {"anonymous"}


@pytest.fixture
def as_role(auth, signed_in, thread):
    def _as(role: str):
        if role == "author":
            assert auth.login(thread["author"]["username"]).status_code == 302
        elif role != "anonymous":
            signed_in("member" if role == "member" else role, username=f"{role}x")
    return _as


def _csrf(client, path):
    """A CSRF token from a page with a form: the home page's sign-out button when
    signed in, the login form otherwise."""
    from tests.conftest import csrf_token

    if 'name="csrf_token"' not in client.get(path).get_data(as_text=True):
        path = "/login"
    return csrf_token(client, path)


def _check(resp, role, allowed):
    if role in allowed:
        assert resp.status_code in (200, 302), resp.status_code
        if resp.status_code == 302:
            assert "/login" not in resp.location
        return True
    if role == "anonymous":
        assert resp.status_code == 302
        assert "/login" in resp.location
    else:
        assert resp.status_code == 403
    return False


def _post(client, path, data, token_path="/"):
    return client.post(path, data={**data, "csrf_token": _csrf(client, token_path)})


@pytest.mark.parametrize("role", ROLES)
def test_mark_official_answer_matrix(app, client, as_role, thread, role):
    as_role(role)
    path = f"/p/{thread['helper_reply']}/official-answer"
    _check(client.get(path), role, STAFF)
    resp = _post(client, path, {"reason": "Confirmed"})
    ok = _check(resp, role, STAFF)
    with app.app_context():
        assert (db.session.get(Topic, thread["topic"]).official_answer_post_id == thread["helper_reply"]) is ok


@pytest.mark.parametrize("role", ROLES)
def test_accept_solution_matrix(app, client, as_role, thread, role):
    as_role(role)
    ok = _check(_post(client, f"/p/{thread['helper_reply']}/solution", {}), role, {"author"})
    with app.app_context():
        assert db.session.get(Topic, thread["topic"]).is_resolved is ok


@pytest.mark.parametrize("role", ROLES)
def test_satisfaction_matrix(app, client, as_role, thread, role):
    with app.app_context():
        services.accept_solution(db.session.get(Post, thread["helper_reply"]),
                                 actor=db.session.get(User, thread["author"]["id"]))
        db.session.commit()
    as_role(role)
    ok = _check(_post(client, f"/t/{thread['topic']}/satisfaction", {"answer": "yes"}), role, {"author"})
    with app.app_context():
        assert (db.session.get(Topic, thread["topic"]).satisfaction == "yes") is ok


@pytest.mark.parametrize("role", ROLES)
def test_kudos_matrix(app, client, as_role, thread, role):
    as_role(role)
    ok = _check(_post(client, f"/p/{thread['helper_reply']}/kudos", {}), role, SIGNED_IN)
    with app.app_context():
        assert db.session.get(Post, thread["helper_reply"]).kudos_count == (1 if ok else 0)
        assert db.session.query(Kudos).count() == (1 if ok else 0)


def test_no_kudos_on_own_post(client, auth, thread, app):
    auth.login(thread["helper"]["username"])
    assert _post(client, f"/p/{thread['helper_reply']}/kudos", {}).status_code == 403
    with app.app_context():
        assert db.session.get(Post, thread["helper_reply"]).kudos_count == 0


def test_unverified_member_cannot_give_kudos(client, signed_in, thread):
    signed_in("member", verified=False, username="unverified")
    assert _post(client, f"/p/{thread['helper_reply']}/kudos", {}).status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_subscription_matrix(app, client, as_role, thread, role):
    as_role(role)
    ok = _check(_post(client, f"/t/{thread['topic']}/subscription", {"state": "muted"}), role, SIGNED_IN)
    with app.app_context():
        muted = db.session.query(TopicSubscription).filter_by(topic_id=thread["topic"], state="muted").count()
        assert muted == (1 if ok else 0)


@pytest.mark.parametrize("role", ROLES)
def test_staff_queue_matrix(client, as_role, role):
    as_role(role)
    _check(client.get("/staff/queue"), role, STAFF)


@pytest.mark.parametrize("role", ROLES)
def test_claim_matrix(app, client, as_role, thread, role):
    as_role(role)
    ok = _check(_post(client, f"/t/{thread['topic']}/claim", {}), role, STAFF)
    with app.app_context():
        assert (db.session.get(Topic, thread["topic"]).claimed_at is not None) is ok


@pytest.mark.parametrize("role", ROLES)
def test_settings_matrix(client, as_role, role):
    as_role(role)
    _check(client.get("/settings"), role, SIGNED_IN)


@pytest.mark.parametrize("role", ROLES)
def test_buttons_follow_the_predicates(client, as_role, thread, role):
    as_role(role)
    html = client.get(thread["path"]).get_data(as_text=True)
    assert (f"/p/{thread['helper_reply']}/official-answer" in html) is (role in STAFF)
    assert (f"/p/{thread['helper_reply']}/solution" in html) is (role == "author")
    assert (f"/p/{thread['helper_reply']}/kudos" in html) is (role in SIGNED_IN)
    assert (f"/t/{thread['topic']}/claim" in html) is (role in STAFF)  # the staff tools panel
    assert (f"/t/{thread['topic']}/notes" in html) is (role in STAFF)
    assert ("/staff/queue" in html) is (role in STAFF)
