"""Account self-service (issue 18): change email, export my data, delete my account.
Every flow end to end through the web client with CSRF, with bad input, enumeration,
what the export holds and leaves out, and what deletion keeps and removes."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from itsdangerous.timed import TimestampSigner
from sqlalchemy import func, inspect, select

from forum import create_app
from forum.accounts import self_service
from forum.accounts import services as account_services
from forum.extensions import db, limiter
from forum.helpdesk import services as helpdesk_services
from forum.messages import services as message_services
from forum.models import (
    AccountDeletion,
    AccountEvent,
    Category,
    Conversation,
    ModerationLogEntry,
    Notification,
    Post,
    QAEvent,
    Question,
    TopicSubscription,
    User,
    UserSession,
)
from forum.models.base import utcnow
from forum.moderation import services as moderation_services
from forum.topics import services as topic_services
from tests.accounts.helpers import field_errors, flashes, register, text
from tests.accounts.test_sessions import cookie, is_signed_in, replay, signed_in_client
from tests.accounts.test_tokens import tamper
from tests.conftest import PASSWORD, AuthActions, csrf_token, read_outbox

NEW_EMAIL = "jess.new@example.net"
_CONFIRM_RE = re.compile(r"http://localhost(/settings/email/confirm/[A-Za-z0-9_.\-]+)")


# --- the world: a member with content, others around her --------------------------


@pytest.fixture
def world(app, make_user, make_category, monkeypatch):
    """jess (the member who acts), kim (another member), mo (moderator), cara
    (Customer Care), ada (admin); topics, replies, an edit by a moderator, kudos,
    flags, a suspension, private conversations (jess's and kim's), a Q&A question."""
    monkeypatch.setitem(app.config, "MEMBER_DMS", True)
    ids = {name: make_user(name, email=f"{name}@example.com", role=role)["id"]
           for name, role in (("jess", "member"), ("kim", "member"), ("moe", "moderator"), ("cara", "staff"),
                              ("ada", "admin"), ("eve", "executive"))}
    cat_id = make_category()["id"]
    with app.app_context():
        u = {name: db.session.get(User, uid) for name, uid in ids.items()}
        u["jess"].display_name = "Jess B"
        cat = db.session.get(Category, cat_id)
        topic = topic_services.create_topic(cat, author=u["jess"], title="My roaming bill is wrong",
                                            body="JESS-OPENING-POST text")
        jess_reply = topic_services.reply_to_topic(topic, author=u["jess"], body="JESS-REPLY original text")
        kim_reply = topic_services.reply_to_topic(topic, author=u["kim"], body="KIM-REPLY text")
        kim_topic = topic_services.create_topic(cat, author=u["kim"], title="Kim's own question",
                                                body="KIM-OPENING-POST text")
        db.session.commit()
        topic_services.edit_post(jess_reply, editor=u["jess"], body="JESS-REPLY edited by herself")
        topic_services.edit_post(jess_reply, editor=u["moe"], body="JESS-REPLY tidied by a moderator",
                                 reason="Removed a duplicate line")
        helpdesk_services.give_kudos(kim_reply, user=u["jess"])
        helpdesk_services.give_kudos(jess_reply, user=u["kim"])
        moderation_services.flag_post(kim_reply, user=u["jess"], reason="other", note="JESS-FLAG-NOTE")
        moderation_services.suspend_user(u["jess"], actor=u["moe"], reason="Cooling-off after an argument", days=1)
        moderation_services.unsuspend_user(u["jess"], actor=u["moe"], reason="Served early")
        team = message_services.start_conversation(u["jess"], None, subject="My bill", body="JESS-TO-CARE message")
        message_services.send_message(team, author=u["cara"], body="CARA-REPLY-TO-JESS")
        direct = message_services.start_conversation(u["jess"], u["kim"], subject="Hello", body="JESS-TO-KIM message")
        message_services.send_message(direct, author=u["kim"], body="KIM-TO-JESS message")
        kims = message_services.start_conversation(u["kim"], None, subject="Kim's bill", body="KIM-TO-CARE secret")
        message_services.send_message(kims, author=u["cara"], body="CARA-REPLY-TO-KIM secret")
        now = utcnow()
        event = QAEvent(slug="ask-eve", title="Ask Eve", executive_id=u["eve"].id, questions_open_at=now,
                        questions_close_at=now + timedelta(days=1), live_starts_at=now + timedelta(days=1),
                        live_ends_at=now + timedelta(days=2), state="open")
        db.session.add(event)
        db.session.flush()
        db.session.add(Question(event_id=event.id, author_id=u["jess"].id, body="JESS-QUESTION for Eve",
                                body_html="<p>JESS-QUESTION for Eve</p>"))
        db.session.commit()
        ids.update(topic=topic.id, topic_path=f"/t/{topic.id}-{topic.slug}", jess_reply=jess_reply.id,
                   kim_reply=kim_reply.id, kim_topic=kim_topic.id, team=team.id, direct=direct.id, kims=kims.id)
    return ids


def jess_client(app):
    return signed_in_client(app, "jess")


def user_row(app, uid):
    with app.app_context():
        user = db.session.get(User, uid)
        db.session.expunge(user)
        return user


def account_events(app, uid):
    with app.app_context():
        return list(db.session.scalars(select(AccountEvent.kind).where(AccountEvent.user_id == uid)
                                       .order_by(AccountEvent.id)))


def mails_to(app, address):
    """Account mails to the address (notification mails, which carry List-Unsubscribe, left out)."""
    return [m for m in read_outbox(app) if m["To"] == address and "List-Unsubscribe" not in m]


def confirm_links(app):
    return [link for m in read_outbox(app) for link in _CONFIRM_RE.findall(m.get_content())]


def post_form(client, path, data, *, token_from=None):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from or path)})


# --- change email ------------------------------------------------------------------


def test_settings_links_to_the_three_pages(app, world):
    html = text(jess_client(app).get("/settings"))
    for path in ("/settings/email", "/settings/export", "/settings/delete"):
        assert f'href="{path}"' in html


def test_change_email_end_to_end(app, world):
    client = jess_client(app)
    page = client.get("/settings/email")
    assert page.status_code == 200
    assert "j…@example.com" in text(page)
    assert "jess@example.com" not in text(page)
    resp = post_form(client, "/settings/email", {"email": NEW_EMAIL, "current_password": PASSWORD})
    assert resp.status_code == 302
    assert resp.location == "/settings"
    assert "Check the inbox of the new address" in " ".join(flashes(client.get("/settings")))
    assert user_row(app, world["jess"]).email == "jess@example.com"  # nothing changes yet

    [link] = confirm_links(app)
    assert [m["Subject"] for m in mails_to(app, NEW_EMAIL)] == ["Confirm your new email address for Connect Community"]
    [notice] = mails_to(app, "jess@example.com")
    assert "being changed" in notice["Subject"]
    assert "If this wasn't you" in notice.get_content()
    assert "j…@example.net" in notice.get_content()
    assert NEW_EMAIL not in notice.get_content()

    # Following the link: a page with a button (a GET writes nothing), then the POST.
    other_browser = app.test_client()
    page = other_browser.get(link)
    assert page.status_code == 200
    assert NEW_EMAIL in text(page)
    assert user_row(app, world["jess"]).email == "jess@example.com"
    resp = post_form(other_browser, link, {})
    assert resp.status_code == 302
    row = user_row(app, world["jess"])
    assert (row.email, row.email_key) == (NEW_EMAIL, NEW_EMAIL)
    assert row.email_verified_at is not None
    assert "was changed" in mails_to(app, "jess@example.com")[-1]["Subject"]
    assert account_events(app, world["jess"])[-2:] == ["email_change_requested", "email_changed"]
    settings = text(client.get("/settings"))
    assert "Asked to change the email address" in settings
    assert "Changed the email address" in settings

    # The new address signs in; the old one no longer does.
    assert AuthActions(app.test_client()).login(NEW_EMAIL).status_code == 302
    assert AuthActions(app.test_client()).login("jess@example.com").status_code == 422

    # The link works once.
    again = post_form(other_browser, link, {}, token_from="/login")
    assert again.status_code == 400
    assert "already been used" in text(again)
    assert app.test_client().get(link).status_code == 400


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        pytest.param({"email": NEW_EMAIL, "current_password": "wrong-password-1"}, "current_password",
                     "That is not your current password.", id="wrong-password"),
        pytest.param({"email": NEW_EMAIL, "current_password": ""}, "current_password",
                     "Enter your current password.", id="no-password"),
        pytest.param({"email": "not-an-address", "current_password": PASSWORD}, "email",
                     "Enter a valid email address.", id="malformed"),
        pytest.param({"email": "a@b@example.com", "current_password": PASSWORD}, "email",
                     "Enter a valid email address.", id="two-ats"),
        pytest.param({"email": "x" * 250 + "@example.com", "current_password": PASSWORD}, "email",
                     "Field cannot be longer than 254 characters.", id="too-long"),
        pytest.param({"email": "JESS@example.com", "current_password": PASSWORD}, "email",
                     "That is already your email address.", id="same-address"),
        pytest.param({"email": "jess\x00@example.com", "current_password": PASSWORD}, "email",
                     "Enter a valid email address.", id="nul"),
    ],
)
def test_change_email_bad_input_changes_nothing(app, world, data, field, message):
    client = jess_client(app)
    before = len(read_outbox(app))
    resp = post_form(client, "/settings/email", data)
    assert resp.status_code == 422
    assert message in field_errors(resp).get(field, []), field_errors(resp)
    assert len(read_outbox(app)) == before
    assert user_row(app, world["jess"]).email == "jess@example.com"
    assert "email_change_requested" not in account_events(app, world["jess"])


def test_change_email_needs_csrf_and_a_sign_in(app, world):
    client = jess_client(app)
    assert client.post("/settings/email", data={"email": NEW_EMAIL, "current_password": PASSWORD}).status_code == 400
    assert confirm_links(app) == []
    anon = app.test_client()
    resp = anon.get("/settings/email")
    assert resp.status_code == 302
    assert resp.location.startswith("/login")


def test_an_address_with_an_account_answers_the_same(app, world):
    """No enumeration: the page, status and flash are the same for kim's address as for
    a free one; kim's address gets "you already have an account", no link."""
    answers = []
    for address in ("kim@example.com", "free@example.org"):
        client = jess_client(app)
        resp = post_form(client, "/settings/email", {"email": address, "current_password": PASSWORD})
        answers.append((resp.status_code, resp.location, flashes(client.get("/settings"))))
    assert answers[0] == answers[1]
    [to_kim] = mails_to(app, "kim@example.com")
    assert to_kim["Subject"] == "You already have a Connect Community account"
    assert "/settings/email/confirm/" not in to_kim.get_content()
    assert "jess" not in to_kim.get_content().lower()  # kim is not told who asked
    assert len(confirm_links(app)) == 1  # only the free address got a link
    assert len(mails_to(app, "jess@example.com")) == 2  # the old address is told both times
    assert user_row(app, world["kim"]).email == "kim@example.com"
    assert user_row(app, world["jess"]).email == "jess@example.com"


def _email_token(app, uid, new, *, age=0):
    real_time = time.time
    with app.app_context(), pytest.MonkeyPatch.context() as mp:
        if age:
            mp.setattr(TimestampSigner, "get_timestamp", lambda self: int(real_time()) - age)
        return self_service.make_email_change_token(db.session.get(User, uid), new)


@pytest.mark.parametrize(
    ("mangle", "words"),
    [
        pytest.param(tamper, "not valid", id="tampered"),
        pytest.param(lambda t: "garbage", "not valid", id="garbage"),
        pytest.param(lambda t: t + "x" * 2000, "not valid", id="very-long"),
        pytest.param("expired", "expired", id="expired"),
    ],
)
def test_bad_confirmation_links_are_refused(app, world, mangle, words):
    if mangle == "expired":
        token = _email_token(app, world["jess"], NEW_EMAIL, age=app.config["EMAIL_CHANGE_TOKEN_MAX_AGE"] + 5)
    else:
        token = mangle(_email_token(app, world["jess"], NEW_EMAIL))
    client = app.test_client()
    page = client.get(f"/settings/email/confirm/{token}")
    assert page.status_code == 400
    assert words in text(page)
    resp = client.post(f"/settings/email/confirm/{token}", data={"csrf_token": csrf_token(client, "/login")})
    assert resp.status_code == 400
    assert words in text(resp)
    assert user_row(app, world["jess"]).email == "jess@example.com"


def test_a_link_for_another_address_stops_working_after_a_change(app, world):
    first = _email_token(app, world["jess"], "first@example.org")
    second = _email_token(app, world["jess"], "second@example.org")
    client = app.test_client()
    assert post_form(client, f"/settings/email/confirm/{first}", {}).status_code == 302
    resp = client.post(f"/settings/email/confirm/{second}", data={"csrf_token": csrf_token(client, "/login")})
    assert resp.status_code == 400
    assert user_row(app, world["jess"]).email == "first@example.org"


def test_an_address_taken_meanwhile_is_a_clear_conflict(app, world):
    token = _email_token(app, world["jess"], "contested@example.org")
    assert register(app.test_client(), "latecomer", "contested@example.org").status_code == 302
    client = app.test_client()
    resp = post_form(client, f"/settings/email/confirm/{token}", {})
    assert resp.status_code == 409
    assert "now belongs to another account" in text(resp)
    assert user_row(app, world["jess"]).email == "jess@example.com"


def test_confirmation_post_needs_csrf(app, world):
    token = _email_token(app, world["jess"], NEW_EMAIL)
    client = app.test_client()
    client.get(f"/settings/email/confirm/{token}")
    assert client.post(f"/settings/email/confirm/{token}").status_code == 400
    assert user_row(app, world["jess"]).email == "jess@example.com"


# --- export ----------------------------------------------------------------------------


def _export(client, password=PASSWORD):
    return post_form(client, "/settings/export", {"current_password": password})


def test_export_is_a_json_download_of_the_members_data(app, world):
    client = jess_client(app)
    assert client.get("/settings/export").status_code == 200
    resp = _export(client)
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="forum-data-')
    assert "no-store" in resp.headers["Cache-Control"]
    data = json.loads(resp.get_data(as_text=True))

    assert data["profile"]["username"] == "jess"
    assert data["profile"]["email"] == "jess@example.com"
    assert data["settings"]["display_name"] == "Jess B"
    assert [t["title"] for t in data["topics"]] == ["My roaming bill is wrong"]
    bodies = {p["body"] for p in data["posts"]}
    assert bodies == {"JESS-OPENING-POST text", "JESS-REPLY tidied by a moderator"}
    [edited] = [p for p in data["posts"] if p["revisions"]]
    assert [(r["by"], r["new_body"]) for r in edited["revisions"]] == [
        ("you", "JESS-REPLY edited by herself"), ("a moderator", "JESS-REPLY tidied by a moderator")]
    assert edited["revisions"][0]["old_body"] == "JESS-REPLY original text"

    convs = {c["subject"]: c for c in data["private_messages"]}
    assert set(convs) == {"My bill", "Hello"}
    assert [(m["from"], m["body"]) for m in convs["My bill"]["messages"]] == [
        ("you", "JESS-TO-CARE message"), ("Customer Care", "CARA-REPLY-TO-JESS")]
    assert [(m["from"], m["body"]) for m in convs["Hello"]["messages"]] == [
        ("you", "JESS-TO-KIM message"), ("kim", "KIM-TO-JESS message")]

    assert any("kim" in n["text"] for n in data["notifications"])  # kim's reply and kudos
    assert {s["topic_title"] for s in data["subscriptions"]["topics"]} == {"My roaming bill is wrong"}
    assert len(data["sessions"]) == 1
    assert data["sessions"][0]["device"] == "Firefox on Linux"
    assert [e["what"] for e in data["account_activity"]][-1] == "Downloaded a copy of your data"
    assert [f["note"] for f in data["flags_raised"]] == ["JESS-FLAG-NOTE"]
    assert [k["post_id"] for k in data["kudos_given"]] == [world["kim_reply"]]
    assert [q["body"] for q in data["qa_questions"]] == ["JESS-QUESTION for Eve"]
    assert [e["action"] for e in data["moderation_log_about_you"]][:3] == ["edit_post", "suspend_user", "unsuspend_user"]
    assert "not held per account" in data["search_analytics"]
    assert any("Search analytics" in n for n in data["notes"])


def test_export_holds_no_secrets_and_nothing_of_other_members(app, world):
    client = jess_client(app)
    body = _export(client).get_data(as_text=True)
    with app.app_context():
        users = list(db.session.scalars(select(User)))
        token_hashes = list(db.session.scalars(select(UserSession.token_hash)))
    emails = set(re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", body))
    assert emails == {"jess@example.com"}
    for user in users:
        assert user.password_hash not in body
        assert user.password_hash.split("$")[-1] not in body
        if user.username != "jess":
            assert user.email not in body
    assert token_hashes
    assert not any(h in body for h in token_hashes)
    assert "scrypt:" not in body
    assert "token_hash" not in body
    for secret in ("KIM-TO-CARE secret", "CARA-REPLY-TO-KIM secret", "KIM-OPENING-POST", "Kim's bill"):
        assert secret not in body
    assert "Cara" not in body
    assert "cara" not in body


def test_export_refuses_bad_requests(app, world):
    client = jess_client(app)
    resp = _export(client, password="wrong-password-1")
    assert resp.status_code == 422
    assert resp.mimetype == "text/html"
    assert "That is not your current password." in field_errors(resp)["current_password"]
    assert client.post("/settings/export", data={"current_password": PASSWORD}).status_code == 400
    assert "data_exported" not in account_events(app, world["jess"])
    anon = app.test_client()
    assert anon.get("/settings/export").status_code == 302
    assert anon.post("/settings/export", data={"csrf_token": csrf_token(anon, "/login"),
                                               "current_password": PASSWORD}).status_code == 302


def test_export_is_logged_for_the_member(app, world):
    client = jess_client(app)
    _export(client)
    assert account_events(app, world["jess"])[-1] == "data_exported"
    assert "Downloaded a copy of your data" in text(client.get("/settings"))


def test_export_runs_a_fixed_number_of_queries(app, world, count_queries):
    with app.app_context():
        jess = db.session.get(User, world["jess"])
        with count_queries() as small:
            self_service.export_data(jess)
        cat = db.session.scalar(select(Category))
        for i in range(15):
            topic = topic_services.create_topic(cat, author=jess, title=f"Another topic number {i}", body="Body text")
            topic_services.reply_to_topic(topic, author=jess, body="More text")
        db.session.commit()
        db.session.expire_all()
        jess = db.session.get(User, world["jess"])
        with count_queries() as big:
            self_service.export_data(jess)
    assert big.count <= small.count + 1  # the user row, reloaded


# --- delete ----------------------------------------------------------------------------


def _delete(client, password=PASSWORD, confirm="y"):
    data = {"current_password": password}
    if confirm:
        data["confirm"] = confirm
    return post_form(client, "/settings/delete", data)


def test_delete_account_end_to_end(app, world):
    here = signed_in_client(app, "jess")
    there = signed_in_client(app, "jess", remember=True)
    saved = {"session": cookie(there, "session"), "remember_token": cookie(there, "remember_token")}
    page = here.get("/settings/delete")
    assert page.status_code == 200
    assert "cannot be undone" in text(page)

    resp = _delete(here)
    assert resp.status_code == 302
    assert resp.location == "/"
    assert "Your account is deleted" in " ".join(flashes(here.get("/")))

    # Signed out everywhere; the password signs in nowhere; every session row is gone.
    assert not is_signed_in(here)
    assert not is_signed_in(there)
    assert not is_signed_in(replay(app, **saved))
    for login in ("jess", "jess@example.com"):
        assert AuthActions(app.test_client()).login(login).status_code == 422

    # Personal data is gone from the row and its private rows are deleted.
    row = user_row(app, world["jess"])
    assert row.is_deleted
    assert row.email == ""
    assert row.display_name is None
    assert "jess" not in (row.username + row.username_key + row.email_key).lower()
    assert row.password_hash == "!deleted"
    with app.app_context():
        for model in (UserSession, AccountEvent, Notification, TopicSubscription):
            assert db.session.scalar(select(func.count()).select_from(model).where(model.user_id == world["jess"])) == 0
        record = db.session.scalar(select(AccountDeletion))
        assert (record.user_id, record.role, record.post_count, record.topic_count, record.message_count) == (
            world["jess"], "member", 2, 1, 2)
        # The posts, messages and moderation log stay.
        assert db.session.scalar(select(func.count(Post.id)).where(Post.author_id == world["jess"])) == 2
        log_count = db.session.scalar(select(func.count(ModerationLogEntry.id))
                                      .where(ModerationLogEntry.subject_user_id == world["jess"]))
        assert log_count == 3
        # Kim's notification no longer names her.
        kim_notes = list(db.session.scalars(select(Notification.text).where(Notification.user_id == world["kim"])))
        assert kim_notes
        assert not any("Jess" in n for n in kim_notes)
        assert any(n.startswith("A former member ") for n in kim_notes)

    # The topic page: her posts remain, by "a former member", with no link to a profile.
    page = text(app.test_client().get(world["topic_path"]))
    assert "JESS-OPENING-POST text" in page
    assert "JESS-REPLY tidied by a moderator" in page
    assert page.count('<span class="author former-member">a former member</span>') == 2
    assert "Jess B" not in page
    assert "/u/former" not in page
    # The moderation log still renders every entry about her, naming no one personal.
    log = app.test_client().get("/moderation-log")
    assert log.status_code == 200
    log_html = text(log)
    assert "Cooling-off after an argument" in log_html
    assert "Served early" in log_html
    assert "a former member" in log_html
    assert "Jess B" not in log_html
    # Kim still reads the direct conversation, from "a former member".
    kim = signed_in_client(app, "kim")
    conv = text(kim.get(f"/messages/{world['direct']}"))
    assert "JESS-TO-KIM message" in conv
    assert "a former member" in conv
    assert "Jess B" not in conv
    # The profile is gone.
    assert app.test_client().get("/u/jess").status_code == 404

    # A goodbye mail to the old address (the last one).
    assert "is deleted" in mails_to(app, "jess@example.com")[-1]["Subject"]

    # Admins see the record; nobody else does.
    admin = signed_in_client(app, "ada")
    listing = admin.get("/admin/deleted-accounts")
    assert listing.status_code == 200
    assert f"#{world['jess']}" in text(listing)
    assert "1 topic, 2 posts, 2 messages" in text(listing)
    assert "jess" not in text(listing).lower().replace("deleted accounts", "")
    assert kim.get("/admin/deleted-accounts").status_code == 403
    assert signed_in_client(app, "moe").get("/admin/deleted-accounts").status_code == 403


def test_a_deleted_username_cannot_be_registered_again(app, world):
    _delete(jess_client(app))
    for name in ("jess", "JESS", "j.ess", "Ｊｅｓｓ"):  # the last two: the same skeleton, full-width letters
        resp = register(app.test_client(), name, f"new-{len(name)}@example.org")
        assert resp.status_code == 422, name
        assert "That username is taken." in field_errors(resp).get("username", []), name
    # The email address is released: it can make a new account (with another name).
    assert register(app.test_client(), "jessica", "jess@example.com").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "jessica")).email == "jess@example.com"


def test_moderators_cannot_act_on_a_deleted_account_by_its_placeholder_name(app, world):
    _delete(jess_client(app))
    placeholder = user_row(app, world["jess"]).username
    moe = signed_in_client(app, "moe")
    assert moe.get(f"/mod/users/{placeholder}/suspend").status_code == 404
    assert moe.get("/moderation-log", query_string={"member": placeholder}).status_code == 404


@pytest.mark.parametrize(
    ("password", "confirm", "field", "message"),
    [
        pytest.param("wrong-password-1", "y", "current_password", "That is not your current password.", id="wrong"),
        pytest.param("", "y", "current_password", "Enter your current password.", id="no-password"),
        pytest.param(PASSWORD, None, "confirm", "Tick the box to confirm", id="not-confirmed"),
    ],
)
def test_delete_bad_input_changes_nothing(app, world, password, confirm, field, message):
    client = jess_client(app)
    resp = _delete(client, password=password, confirm=confirm)
    assert resp.status_code == 422
    assert message in " ".join(field_errors(resp).get(field, []) + [text(resp)])
    row = user_row(app, world["jess"])
    assert not row.is_deleted
    assert row.email == "jess@example.com"
    assert is_signed_in(client)
    with app.app_context():
        assert db.session.scalar(select(func.count(AccountDeletion.id))) == 0


def test_delete_needs_csrf(app, world):
    client = jess_client(app)
    assert client.post("/settings/delete", data={"current_password": PASSWORD, "confirm": "y"}).status_code == 400
    assert not user_row(app, world["jess"]).is_deleted


@pytest.mark.parametrize("name", ["moe", "cara", "eve", "ada"])
def test_staff_cannot_delete_their_own_account(app, world, name):
    client = signed_in_client(app, name)
    page = client.get("/settings/delete")
    assert page.status_code == 403
    assert "Ask an administrator to change your role to member first" in text(page)
    assert 'name="current_password"' not in text(page)
    resp = client.post("/settings/delete", data={"current_password": PASSWORD, "confirm": "y",
                                                 "csrf_token": csrf_token(client, "/settings")})
    assert resp.status_code == 403
    assert not user_row(app, world[name]).is_deleted
    assert is_signed_in(client)


def test_a_member_cannot_take_the_former_member_name(app, world):
    client = jess_client(app)
    for name in ("a former member", "A Former-Member", "formermember"):
        resp = post_form(client, "/settings", {"display_name": name})
        assert resp.status_code == 422, name
        assert "how the forum shows deleted accounts" in " ".join(field_errors(resp)["display_name"])


def test_every_reference_to_a_user_has_a_deletion_rule(app):
    """A new table pointing at users must say what account deletion does with it."""
    with app.app_context():
        columns = {f"{t.name}.{fk.parent.name}" for t in db.metadata.sorted_tables for fk in t.foreign_keys
                   if fk.column.table.name == "users"}
        live = {f"{t}.{fk['constrained_columns'][0]}" for t in inspect(db.engine).get_table_names()
                for fk in inspect(db.engine).get_foreign_keys(t) if fk["referred_table"] == "users"}
    assert columns == set(self_service.USER_REFERENCES) == live
    assert set(self_service.USER_REFERENCES.values()) <= {"delete", "keep", "scrub"}


def test_pending_links_die_with_the_account(app, world):
    token = _email_token(app, world["jess"], NEW_EMAIL)
    _delete(jess_client(app))
    client = app.test_client()
    assert client.get(f"/settings/email/confirm/{token}").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email_key == NEW_EMAIL)) is None


# --- throttled ------------------------------------------------------------------------


@pytest.fixture
def limited_app(tmp_path):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'limits.sqlite'}",
        "MAIL_OUTBOX": str(tmp_path / "outbox"), "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_AUTH": "100 per minute",
        "RATELIMIT_ACCOUNT_CHANGES": "3 per hour", "SEARCH_INDEX_DIR": None,
    })
    with app.app_context():
        upgrade()
        account_services.create_user(username="jess", email="jess@example.com", password=PASSWORD, verified=True)
        db.session.commit()
    limiter.reset()
    yield app
    limiter.reset()
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("path", ["/settings/email", "/settings/export", "/settings/delete"])
def test_password_checks_are_throttled_per_account(limited_app, path):
    client = limited_app.test_client()
    assert client.post("/login", data={"login": "jess", "password": PASSWORD}).status_code == 302
    data = {"email": NEW_EMAIL, "current_password": "wrong-password-1", "confirm": "y"}
    statuses = [client.post(path, data=data, environ_base={"REMOTE_ADDR": f"198.51.100.{i}"}).status_code
                for i in range(5)]
    assert statuses == [422, 422, 422, 429, 429]
    with limited_app.app_context():
        jess = db.session.scalar(select(User))
        assert not jess.is_deleted
        assert jess.email == "jess@example.com"
    # Another account is not affected.
    with limited_app.app_context():
        account_services.create_user(username="kim", email="kim@example.com", password=PASSWORD, verified=True)
        db.session.commit()
    other = limited_app.test_client()
    assert other.post("/login", data={"login": "kim", "password": PASSWORD}).status_code == 302
    assert other.post(path, data=data).status_code == 422


def test_conversation_rows_are_untouched_by_deletion(app, world):
    """The other side keeps the conversation, and the team keeps jess's casework."""
    _delete(jess_client(app))
    with app.app_context():
        assert db.session.get(Conversation, world["team"]).member_id == world["jess"]
        assert db.session.get(Conversation, world["direct"]) is not None
