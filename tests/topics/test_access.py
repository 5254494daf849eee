"""Who may do what: pinning, starting topics and replying, for every role."""

from __future__ import annotations

import pytest

from forum.extensions import db
from forum.models import Topic
from tests.conftest import csrf_token
from tests.topics.conftest import ROLES, STAFF_ROLES
from tests.topics.dom import page


@pytest.fixture
def topic(build, make_user, category):
    author = make_user("author")
    with build() as b:
        t = b.topic(category, author, title="Outage in Leeds")
        return {"id": t.id, "path": f"/t/{t.id}-{t.slug}", "first_post": b.first_post(t).id}


def _pinned(app, topic_id) -> bool:
    with app.app_context():
        return db.session.get(Topic, topic_id).is_pinned


# --- pinning --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_pin_matrix(client, app, signed_in, post_form, topic, role):
    signed_in(role)
    resp = post_form(f"/t/{topic['id']}/pin", {"pinned": "1", "reason": "Many customers ask this"})
    if role not in STAFF_ROLES:
        assert resp.status_code == 403
        assert not _pinned(app, topic["id"])
        return
    assert resp.status_code == 302
    assert resp.location == topic["path"]
    assert _pinned(app, topic["id"])
    doc = page(client.get(topic["path"]))
    assert doc.one("h1").find("span", cls="tag-pinned").text == "Pinned"
    assert "Topic pinned." in doc.one("div", cls="flashes").text
    # The button now offers to unpin.
    form = next(f for f in doc.find_all("form") if f.get("action") == f"/t/{topic['id']}/pin")
    assert form.find("button").text == "Unpin"
    assert post_form(f"/t/{topic['id']}/pin", {"pinned": "0", "reason": "Fixed now"}).status_code == 302
    assert not _pinned(app, topic["id"])


@pytest.mark.parametrize("role", ROLES)
def test_pin_button_only_for_staff(client, signed_in, topic, role):
    signed_in(role)
    doc = page(client.get(topic["path"]))
    forms = [f for f in doc.find_all("form") if f.get("action") == f"/t/{topic['id']}/pin"]
    if role in STAFF_ROLES:
        assert len(forms) == 1
        assert forms[0].find("button").text == "Pin"
    else:
        assert forms == []


def test_pin_anonymous_redirects_to_login(app, post_form, topic):
    resp = post_form(f"/t/{topic['id']}/pin", {"pinned": "1"}, token_from="/login")
    assert resp.status_code == 302
    assert resp.location.startswith("/login")
    assert not _pinned(app, topic["id"])


def test_pin_without_csrf_is_400(app, signed_in, post_form, topic):
    signed_in("staff")
    resp = post_form(f"/t/{topic['id']}/pin", {"pinned": "1"}, with_csrf=False)
    assert resp.status_code == 400
    assert "security token" in resp.get_data(as_text=True)
    assert not _pinned(app, topic["id"])


@pytest.mark.parametrize("data", [{}, {"pinned": "yes"}, {"pinned": "2"}, {"pinned": ""}])
def test_pin_bad_value_is_400(app, signed_in, post_form, topic, data):
    signed_in("staff")
    assert post_form(f"/t/{topic['id']}/pin", data).status_code == 400
    assert not _pinned(app, topic["id"])


def test_pin_missing_topic_and_wrong_method(client, signed_in, post_form, topic):
    signed_in("admin")
    assert post_form("/t/9999/pin", {"pinned": "1"}).status_code == 404
    assert post_form("/t/99999999999/pin", {"pinned": "1"}).status_code == 404
    assert client.get(f"/t/{topic['id']}/pin").status_code == 405


# --- starting topics and replying -----------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_verified_role_can_start_a_topic_and_reply(client, app, signed_in, post_form, category, topic, role):
    user = signed_in(role)
    new = f"/c/{category['slug']}/new"
    assert client.get(new).status_code == 200
    resp = post_form(new, {"title": f"Question from a {role}", "body": "Body"})
    assert resp.status_code == 302
    doc = page(client.get(resp.location))
    assert doc.one("h1").text.strip().endswith(f"Question from a {role}")
    assert doc.find("a", cls="author").text == user["username"]
    assert (role in STAFF_ROLES) == ("post-staff" in doc.one("article").classes)

    reply_page = client.get(f"/t/{topic['id']}/reply?to={topic['first_post']}")
    assert reply_page.status_code == 200
    resp = post_form(f"/t/{topic['id']}/reply", {"body": f"Reply from a {role}"})
    assert resp.status_code == 302
    assert resp.location.startswith("/p/")
    assert f"Reply from a {role}" in client.get(topic["path"]).get_data(as_text=True)


@pytest.mark.parametrize("path", ["/c/{slug}/new", "/t/{tid}/reply", "/t/{tid}/reply?to={pid}"])
def test_anonymous_is_sent_to_login(client, category, topic, path):
    path = path.format(slug=category["slug"], tid=topic["id"], pid=topic["first_post"])
    resp = client.get(path)
    assert resp.status_code == 302
    assert resp.location.startswith("/login?next=")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/c/{slug}/new", "/t/{tid}/reply"])
def test_unverified_users_are_told_to_confirm_their_email(client, signed_in, category, topic, role, path):
    signed_in(role, verified=False)
    resp = client.get(path.format(slug=category["slug"], tid=topic["id"]))
    assert resp.status_code == 403
    assert page(resp).one("h1").text == "Confirm your email address first"


def test_topic_page_reply_box_depends_on_viewer(client, signed_in, post_form, topic):
    anon = page(client.get(topic["path"]))
    box = anon.one("section", cls="reply-box")
    assert box.find("form") is None
    assert box.find("a").get("href").startswith("/login?next=")
    assert anon.one("footer", cls="post-actions").text.strip() == "Sign in to reply"

    signed_in("member", verified=False, username="newbie")
    box = page(client.get(topic["path"])).one("section", cls="reply-box")
    assert box.find("form") is None
    assert "Confirm your email address to reply." in box.text
    # (AuthActions.logout takes its token from /login, which redirects when signed in.)
    assert post_form("/logout", {}).status_code == 302

    signed_in("member")
    doc = page(client.get(topic["path"]))
    form = doc.one("section", cls="reply-box").one("form")
    assert form.get("action") == f"/t/{topic['id']}/reply"
    assert form.find("textarea").get("name") == "body"
    reply, quote = doc.one("footer", cls="post-actions").find_all("a")
    assert reply.get("href") == f"/t/{topic['id']}/reply?to={topic['first_post']}"
    assert quote.text == "Quote"
    assert quote.get("href") == f"/t/{topic['id']}/reply?to={topic['first_post']}&quote=1"
    assert csrf_token(client, topic["path"])
