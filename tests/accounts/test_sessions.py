"""Server-side sessions (issue 18, findings 1-3): the cookies carry only a random
session token, every sign-in is a row, and ending the row signs the browser out at
once, whatever cookies it kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from forum.accounts import services, sessions
from forum.extensions import db
from forum.models import AccountEvent, User, UserSession
from forum.models.base import utcnow
from forum.moderation import services as moderation_services
from tests.accounts.helpers import field_errors, text
from tests.accounts.test_tokens import NEW_PASSWORD, make_token, reset_form
from tests.conftest import PASSWORD, AuthActions, csrf_token, read_outbox

UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def signed_in_client(app, login="jess", *, remember=False, ua=UA):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = ua
    assert AuthActions(client).login(login, remember=remember).status_code == 302
    return client


def cookie(client, name):
    found = client.get_cookie(name, domain="localhost")
    return found.value if found else None


def replay(app, **cookies):
    """A fresh browser holding only copies of the given cookies."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value, domain="localhost")
    return client


def is_signed_in(client) -> bool:
    resp = client.get("/settings")
    return resp.status_code == 200


def session_rows(app, username="jess"):
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == username))
        rows = list(db.session.scalars(select(UserSession).where(UserSession.user_id == uid).order_by(UserSession.id)))
        db.session.expunge_all()
        return rows


def events(app, username="jess"):
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == username))
        return list(db.session.scalars(select(AccountEvent.kind).where(AccountEvent.user_id == uid).order_by(AccountEvent.id)))


# --- what the cookies hold -----------------------------------------------------------


def test_cookies_carry_a_random_token_not_the_user_id(app, member):
    client = signed_in_client(app, remember=True)
    data = app.session_interface.get_signing_serializer(app).loads(cookie(client, "session"))
    token = data["_user_id"]
    assert token != str(member["id"])
    assert len(token) >= 40
    assert cookie(client, "remember_token").split("|")[0] == token
    (row,) = session_rows(app)
    assert row.token_hash == sessions.hash_token(token)
    assert token not in row.token_hash
    assert (row.device, row.ip_prefix, row.remember, row.ended_at) == ("Firefox on Linux", "127.0.0.0/24", True, None)


def test_every_login_gets_a_different_remember_cookie(app, member):
    """Finding 1: the remember cookie was the user id plus a signature, the same on every login."""
    first = cookie(signed_in_client(app, remember=True), "remember_token")
    second = cookie(signed_in_client(app, remember=True), "remember_token")
    assert first != second


# --- logout ----------------------------------------------------------------------------


def test_session_cookie_replayed_after_logout_is_anonymous(app, member):
    """Finding 3: logout only cleared the browser's cookie."""
    client = signed_in_client(app)
    saved = cookie(client, "session")
    assert is_signed_in(replay(app, session=saved))
    AuthActions(client).logout()
    assert not is_signed_in(client)
    assert not is_signed_in(replay(app, session=saved))
    assert session_rows(app)[0].end_reason == "logout"
    assert events(app)[-1] == "signed_out"


def test_remember_cookie_replayed_after_logout_is_anonymous(app, member):
    """Finding 1: a copied remember cookie still signed in after logout."""
    client = signed_in_client(app, remember=True)
    saved = cookie(client, "remember_token")
    AuthActions(client).logout()
    assert not is_signed_in(replay(app, remember_token=saved))


# --- remember-me rotation --------------------------------------------------------------


def test_remember_cookie_is_rotated_on_use_and_the_old_value_dies(app, member):
    client = signed_in_client(app, remember=True)
    old = cookie(client, "remember_token")
    browser = replay(app, remember_token=old)  # the browser was closed: no session cookie
    assert is_signed_in(browser)
    new = cookie(browser, "remember_token")
    assert new
    assert new != old
    assert is_signed_in(browser)  # still signed in with the new cookies
    assert is_signed_in(replay(app, remember_token=new))
    assert not is_signed_in(replay(app, remember_token=old))  # a stolen copy works no more
    assert len(session_rows(app)) == 1  # the same session, under a new token


def test_forged_or_legacy_cookie_values_are_anonymous(app, member):
    """A session cookie holding a bare user id (the format before this change) signs nobody in."""
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(member["id"])
        sess["_fresh"] = True
    assert not is_signed_in(client)
    with client.session_transaction() as sess:
        sess["_user_id"] = "x" * 5000
    assert not is_signed_in(client)


def test_idle_session_expires(app, member):
    client = signed_in_client(app)
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    assert not is_signed_in(client)


# --- password reset -----------------------------------------------------------------


def test_password_reset_ends_every_session_and_remember_cookie(app, member):
    """Finding 2: a reset ended no other session, neither cookie."""
    victim = signed_in_client(app, remember=True)
    attacker_copy = {"session": cookie(victim, "session"), "remember_token": cookie(victim, "remember_token")}
    resetter = app.test_client()
    assert reset_form(resetter, f"/reset/{make_token(app, 'reset', 'jess')}").status_code == 302
    assert not is_signed_in(victim)
    assert not is_signed_in(replay(app, **attacker_copy))
    assert not is_signed_in(replay(app, remember_token=attacker_copy["remember_token"]))
    assert {r.end_reason for r in session_rows(app)} == {"password_reset"}
    assert "password_reset" in events(app)
    assert AuthActions(app.test_client()).login("jess", NEW_PASSWORD).status_code == 302


# --- change password -------------------------------------------------------------------


def change_password(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post("/settings/password", data={
        "current_password": current, "password": new, "confirm": confirm or new,
        "csrf_token": csrf_token(client, "/settings/password")})


def test_settings_links_to_the_password_page(app, member):
    client = signed_in_client(app)
    html = text(client.get("/settings"))
    assert 'href="/settings/password"' in html
    page = text(client.get("/settings/password"))
    assert 'name="current_password"' in page


def test_change_password_needs_the_current_one(app, member):
    client = signed_in_client(app)
    other = signed_in_client(app)
    resp = change_password(client, current="wrong-password-here")
    assert resp.status_code == 422
    assert field_errors(resp)["current_password"] == ["That is not your current password."]
    assert is_signed_in(other)
    assert AuthActions(app.test_client()).login("jess", PASSWORD).status_code == 302


def test_change_password_ends_other_sessions_keeps_this_one(app, member):
    client = signed_in_client(app)
    other = signed_in_client(app, remember=True)
    other_remember = cookie(other, "remember_token")
    resp = change_password(client)
    assert resp.status_code == 302
    assert is_signed_in(client)
    assert not is_signed_in(other)
    assert not is_signed_in(replay(app, remember_token=other_remember))
    assert AuthActions(app.test_client()).login("jess", NEW_PASSWORD).status_code == 302
    assert events(app).count("password_changed") == 1
    assert any("password was changed" in m["Subject"] for m in read_outbox(app))
    assert "Changed the password" in text(client.get("/settings"))


def test_change_password_refuses_weak_and_anonymous_and_csrfless(app, member):
    client = signed_in_client(app)
    resp = change_password(client, new="short")
    assert resp.status_code == 422
    assert field_errors(resp).get("password")
    resp = client.post("/settings/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD})
    assert resp.status_code == 400
    anon = app.test_client().get("/settings/password")
    assert anon.status_code == 302
    assert "/login" in anon.headers["Location"]
    assert AuthActions(app.test_client()).login("jess", PASSWORD).status_code == 302


# --- the sessions list --------------------------------------------------------------


def test_settings_lists_sessions_and_ends_another(app, member):
    phone = signed_in_client(app, ua="Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36")
    client = signed_in_client(app)
    html = text(client.get("/settings"))
    assert "<strong>Chrome on Android</strong>," in html
    assert "<strong>Firefox on Linux</strong> (this browser)" in html
    phone_row = session_rows(app)[0]
    resp = client.post(f"/settings/sessions/{phone_row.id}/end", data={"csrf_token": csrf_token(client, "/settings")})
    assert resp.status_code == 302
    assert not is_signed_in(phone)
    assert is_signed_in(client)
    assert "<strong>Chrome on Android</strong>" not in text(client.get("/settings"))


def test_ending_a_session_needs_csrf_and_ownership(app, member, make_user):
    make_user("kim")
    theirs = signed_in_client(app, "kim")
    client = signed_in_client(app)
    kim_row = session_rows(app, "kim")[0]
    assert client.post(f"/settings/sessions/{kim_row.id}/end").status_code == 400
    resp = client.post(f"/settings/sessions/{kim_row.id}/end", data={"csrf_token": csrf_token(client, "/settings")})
    assert resp.status_code == 404
    assert client.post("/settings/sessions/999999/end", data={"csrf_token": csrf_token(client, "/settings")}).status_code == 404
    assert is_signed_in(theirs)


def test_sign_out_everywhere(app, member):
    a = signed_in_client(app, remember=True)
    b = signed_in_client(app)
    saved = cookie(a, "remember_token")
    resp = b.post("/settings/sessions/end-all", data={"csrf_token": csrf_token(b, "/settings")})
    assert resp.status_code == 302
    assert not is_signed_in(a)
    assert not is_signed_in(b)
    assert not is_signed_in(replay(app, remember_token=saved))
    assert "signed_out_everywhere" in events(app)


# --- role changes, suspensions, admins ------------------------------------------------


def test_role_change_ends_the_users_sessions(app, member, make_user):
    client = signed_in_client(app)
    with app.app_context():
        user = db.session.get(User, member["id"])
        services.set_role(user, "moderator", changed_by=None, reason="Volunteer")
        db.session.commit()
    assert not is_signed_in(client)


def test_suspension_ends_the_members_sessions(app, member, make_user):
    mod = make_user("mod", role="moderator")
    client = signed_in_client(app)
    with app.app_context():
        moderation_services.suspend_user(db.session.get(User, member["id"]), actor=db.session.get(User, mod["id"]),
                                         reason="Spam", days=3)
        db.session.commit()
    assert not is_signed_in(client)
    assert "sessions_ended_suspension" in events(app)


def test_admin_signs_a_user_out_everywhere(app, member, make_user):
    make_user("boss", role="admin")
    make_user("helper", role="staff")
    client = signed_in_client(app)
    admin = signed_in_client(app, "boss")
    staff = signed_in_client(app, "helper")
    path = f"/admin/users/{member['id']}/sessions/end"
    assert staff.post(path, data={"csrf_token": csrf_token(staff, "/")}).status_code == 403
    assert admin.post(path).status_code == 400
    assert is_signed_in(client)
    resp = admin.post(path, data={"csrf_token": csrf_token(admin, f"/admin/users/{member['id']}/role")})
    assert resp.status_code == 302
    assert not is_signed_in(client)
    assert is_signed_in(admin)
    assert "sessions_ended_by_staff" in events(app)


# --- last seen ------------------------------------------------------------------------


def test_last_seen_is_written_at_most_once_per_interval(app, member, count_queries):
    client = signed_in_client(app)
    old = utcnow() - timedelta(minutes=10)
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=old))
        db.session.commit()
    with count_queries() as q:
        client.get("/")
    updates = [s for s in q.statements if s.lstrip().upper().startswith("UPDATE USER_SESSIONS")]
    assert len(updates) == 1
    first = session_rows(app)[0].last_seen_at
    assert first > old + timedelta(minutes=9)
    with count_queries() as q:
        client.get("/")
        client.get("/settings")
    assert not [s for s in q.statements if s.lstrip().upper().startswith("UPDATE USER_SESSIONS")]
    assert session_rows(app)[0].last_seen_at == first


@pytest.mark.parametrize(("address", "prefix"), [
    ("203.0.113.77", "203.0.113.0/24"), ("2001:db8:1:2::5", "2001:db8:1::/48"), ("::ffff:10.1.2.3", "10.1.2.0/24"),
    ("", "unknown"), ("not an ip", "unknown"),
])
def test_ip_prefix_never_keeps_the_full_address(address, prefix):
    assert sessions.ip_prefix(address) == prefix


def test_device_label_is_short_and_plain():
    assert sessions.device_label(None) == "Unknown device"
    assert sessions.device_label("<script>alert(1)</script>" * 50) == "scriptalert1/scriptscriptalert1/scriptsc"
    assert len(sessions.device_label("x" * 5000)) <= 80


# --- password hashing (finding 11) -----------------------------------------------------


def test_old_hashes_are_replaced_at_the_next_sign_in(app, member, real_hashing):
    from werkzeug.security import generate_password_hash

    with app.app_context():
        user = db.session.get(User, member["id"])
        user.password_hash = generate_password_hash(PASSWORD, method="scrypt:32768:8:1")  # the old N=2^15
        db.session.commit()
    signed_in_client(app)
    with app.app_context():
        stored = db.session.get(User, member["id"]).password_hash
    assert stored.startswith("scrypt:131072:8:1$")
    assert AuthActions(app.test_client()).login("jess", PASSWORD).status_code == 302
    with app.app_context():
        assert services.needs_rehash("scrypt:32768:8:1$salt$hash")
        assert not services.needs_rehash(stored)
