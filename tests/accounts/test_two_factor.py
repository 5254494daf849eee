"""Two-factor sign-in for staff roles (issue 18): enrolment with a QR code and the
``otpauth://`` URI, a code after the password, recovery codes, replay and throttling,
an admin reset that is logged, and members who opt in."""

from __future__ import annotations

import re
import time
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from forum import create_app
from forum.accounts import services as account_services
from forum.extensions import db, limiter
from forum.models import ModerationLogEntry, RecoveryCode, TwoFactor, User, UserSession
from tests.accounts.helpers import field_errors, flashes, logout, text
from tests.conftest import PASSWORD, AuthActions, csrf_token


@pytest.fixture
def staff_2fa(app, monkeypatch):
    """Staff must use two-factor sign-in, as in production."""
    monkeypatch.setitem(app.config, "STAFF_2FA_REQUIRED", True)


def _secret_from(html: str) -> str:
    uri = unescape(re.search(r'<code class="totp-uri">([^<]+)</code>', html).group(1))
    assert uri.startswith("otpauth://totp/")
    return parse_qs(urlsplit(uri).query)["secret"][0]


def _code(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def _post_code(client, path: str, code: str, **extra):
    return client.post(path, data={"code": code, "csrf_token": csrf_token(client, path), **extra})


def enrol(client) -> tuple[str, list[str], object]:
    """Set up 2FA for the signed-in client; returns (secret, recovery codes, response)."""
    page = client.get("/settings/two-factor")
    assert page.status_code == 200
    secret = _secret_from(text(page))
    resp = _post_code(client, "/settings/two-factor", _code(secret))
    assert resp.status_code == 200, field_errors(resp)
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", text(resp))
    return secret, codes, resp


def use_up_current_step(app, username: str) -> None:
    """Mark the current step used, so the next test code must come from a later one
    (as after a real sign-in a moment ago)."""
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == username))
        factor = db.session.get(TwoFactor, uid)
        factor.last_step = int(time.time() // 30)
        db.session.commit()


@pytest.fixture
def enrolled_staff(app, client, make_user, staff_2fa):
    """A Customer Care account with 2FA on; returns (user, secret, recovery codes).
    The test client is signed out again."""
    user = make_user("carol", role="staff")
    AuthActions(client).login("carol")
    secret, codes, _ = enrol(client)
    AuthActions(client).logout()
    return user, secret, codes


def staff_page_status(client) -> int:
    return client.get("/staff/queue").status_code


# --- enrolment ---------------------------------------------------------------------------


def test_staff_first_sign_in_goes_to_enrolment_with_qr_and_uri(app, client, make_user, staff_2fa):
    make_user("carol", role="staff")
    resp = AuthActions(client).login("carol")
    assert resp.status_code == 302
    assert urlsplit(resp.headers["Location"]).path == "/login/code"
    page = client.get("/login/code", follow_redirects=True)
    html = text(page)
    assert "Set up two-factor sign-in" in html
    assert 'src="data:image/svg+xml' in html  # the QR code, inline (CSP: img-src data:)
    secret = _secret_from(html)
    assert f"<code class=\"totp-secret\">{secret}</code>" in html
    assert 'name="code"' in html
    assert "otpauth://totp/" in html
    assert "issuer=" in html
    # Reloading shows the same key, and nothing is stored before a right code.
    assert _secret_from(text(client.get("/settings/two-factor"))) == secret
    with app.app_context():
        assert db.session.scalar(select(TwoFactor)) is None


def test_enrolment_confirms_with_a_code_and_shows_ten_recovery_codes_once(app, client, make_user, staff_2fa):
    make_user("carol", role="staff")
    AuthActions(client).login("carol")
    assert staff_page_status(client) == 302  # refused before enrolment
    secret, codes, resp = enrol(client)
    assert "Two-factor sign-in is on" in text(resp)
    assert resp.headers["Cache-Control"] == "no-store"
    assert len(codes) == 10
    assert len(set(codes)) == 10
    with app.app_context():
        stored = list(db.session.scalars(select(RecoveryCode.code_hash)))
        assert len(stored) == 10
        assert not any(c.replace("-", "") in h or c in h for c in codes for h in stored)  # hashed
        assert db.session.scalar(select(TwoFactor.secret)) == secret
    assert staff_page_status(client) == 200  # enrolment passes this session's second step
    # The codes are never shown again.
    assert "Two-factor sign-in is already on" in " ".join(flashes(client.get("/settings/two-factor",
                                                                             follow_redirects=True)))


def test_enrolment_with_a_wrong_code_stores_nothing(app, client, make_user, staff_2fa):
    make_user("carol", role="staff")
    AuthActions(client).login("carol")
    secret = _secret_from(text(client.get("/settings/two-factor")))
    wrong = f"{(int(_code(secret)) + 1) % 1_000_000:06d}"
    resp = _post_code(client, "/settings/two-factor", wrong)
    assert resp.status_code == 422
    assert "That code is not right" in field_errors(resp)["code"][0]
    with app.app_context():
        assert db.session.scalar(select(TwoFactor)) is None
    assert staff_page_status(client) == 302


# --- the second step at sign-in ------------------------------------------------------------


def test_later_sign_in_asks_for_a_code_after_the_password(app, client, enrolled_staff):
    _, secret, _ = enrolled_staff
    use_up_current_step(app, "carol")
    resp = AuthActions(client).login("carol")
    assert urlsplit(resp.headers["Location"]).path == "/login/code"
    page = client.get("/login/code")
    assert page.status_code == 200
    assert "Enter your sign-in code" in text(page)
    assert staff_page_status(client) == 302  # refused before the code
    with app.app_context():
        row = db.session.scalars(select(UserSession).order_by(UserSession.id.desc())).first()
        assert row.needs_second_factor is True  # the step lives on the server-side session
    resp = _post_code(client, "/login/code", _code(secret, 1))
    assert resp.status_code == 302
    assert staff_page_status(client) == 200
    with app.app_context():
        row = db.session.scalars(select(UserSession).order_by(UserSession.id.desc())).first()
        assert row.needs_second_factor is False


def test_staff_action_refused_before_the_second_step(app, client, enrolled_staff, make_category):
    make_category()
    AuthActions(client).login("carol")
    # A page, a POST action and a JSON request: none reaches the staff view.
    assert urlsplit(client.get("/staff/queue").headers["Location"]).path == "/login/code"
    with app.app_context():
        from forum.models import Category

        cat_id = db.session.scalar(select(Category.id))
    resp = client.post("/incidents/new", data={"csrf_token": csrf_token(client, "/login/code"), "title": "Outage"})
    assert resp.status_code == 302
    assert urlsplit(resp.headers["Location"]).path == "/login/code"
    resp = client.get("/staff/queue", headers={"Accept": "application/json"})
    assert resp.status_code == 401
    assert "Finish signing in" in resp.get_json()["error"]
    assert cat_id  # the board exists; nothing was created
    with app.app_context():
        from forum.models import Incident

        assert db.session.scalar(select(Incident)) is None


def test_wrong_code_is_refused(app, client, enrolled_staff):
    _, secret, _ = enrolled_staff
    AuthActions(client).login("carol")
    wrong = f"{(int(_code(secret)) + 7) % 1_000_000:06d}"
    resp = _post_code(client, "/login/code", wrong)
    assert resp.status_code == 422
    assert "That code is not right" in field_errors(resp)["code"][0]
    assert staff_page_status(client) == 302


def test_replayed_code_is_refused(app, enrolled_staff):
    _, secret, _ = enrolled_staff
    use_up_current_step(app, "carol")
    code = _code(secret, 1)
    first = app.test_client()
    AuthActions(first).login("carol")
    assert _post_code(first, "/login/code", code).status_code == 302
    second = app.test_client()  # an attacker who saw the code, within its window
    AuthActions(second).login("carol")
    resp = _post_code(second, "/login/code", code)
    assert resp.status_code == 422
    assert "already been used" in field_errors(resp)["code"][0]
    assert staff_page_status(second) == 302


def test_a_code_from_before_the_last_one_is_refused(app, enrolled_staff):
    _, secret, _ = enrolled_staff
    use_up_current_step(app, "carol")
    client = app.test_client()
    AuthActions(client).login("carol")
    resp = _post_code(client, "/login/code", _code(secret, -1))
    assert resp.status_code == 422
    assert "already been used" in field_errors(resp)["code"][0]


def test_recovery_code_works_once(app, enrolled_staff):
    _, _, codes = enrolled_staff
    first = app.test_client()
    AuthActions(first).login("carol")
    resp = _post_code(first, "/login/code", codes[0].upper())  # case and the hyphen do not matter
    assert resp.status_code == 302
    assert "9 left" in " ".join(flashes(first.get("/")))
    assert staff_page_status(first) == 200
    second = app.test_client()
    AuthActions(second).login("carol")
    resp = _post_code(second, "/login/code", codes[0])
    assert resp.status_code == 422
    assert "used already" in field_errors(resp)["code"][0]
    assert staff_page_status(second) == 302
    with app.app_context():
        assert db.session.scalar(select(RecoveryCode.used_at).where(RecoveryCode.used_at.is_not(None))) is not None


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("12a456", "Enter the 6-digit code"),
        ("１２３４５６", "Enter the 6-digit code"),  # full-width digits are not ASCII digits
        ("12345", "Enter the 6-digit code"),
        ("1234567", "Enter the 6-digit code"),
        ("' OR 1=1 --", "Enter the 6-digit code"),
        ("12\x003456", "Enter the 6-digit code"),
        ("1" * 33, "at most 32 characters"),
        ("9" * 5000, "at most 32 characters"),
        ("", "Enter the code"),
    ],
)
def test_bad_codes_get_a_clear_422(app, client, enrolled_staff, code, message):
    AuthActions(client).login("carol")
    resp = _post_code(client, "/login/code", code)
    assert resp.status_code == 422
    assert message in " ".join(field_errors(resp).get("code", []))
    assert staff_page_status(client) == 302


def test_code_page_without_csrf_is_refused(app, client, enrolled_staff):
    _, secret, _ = enrolled_staff
    AuthActions(client).login("carol")
    resp = client.post("/login/code", data={"code": _code(secret, 1)})
    assert resp.status_code in (400, 422)
    assert staff_page_status(client) == 302


def test_code_page_needs_a_signed_in_password_step(client):
    resp = client.get("/login/code")
    assert resp.status_code == 302
    assert urlsplit(resp.headers["Location"]).path == "/login"


def test_logout_works_while_the_code_is_pending(app, client, enrolled_staff):
    AuthActions(client).login("carol")
    assert logout(client).status_code == 302
    assert urlsplit(client.get("/login/code").headers["Location"]).path == "/login"


# --- throttling ---------------------------------------------------------------------------


@pytest.fixture
def limited_app(tmp_path):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'tf.sqlite'}",
        "MAIL_OUTBOX": str(tmp_path / "outbox"), "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_AUTH": "6 per minute",
        "RATELIMIT_LOGIN_ACCOUNT": "50 per minute", "RATELIMIT_TWO_FACTOR_ACCOUNT": "3 per minute",
        "SEARCH_INDEX_DIR": None, "STAFF_2FA_REQUIRED": True, "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
    })
    with app.app_context():
        upgrade()
        account_services.create_user(username="carol", email="carol@example.com", password=PASSWORD,
                                     verified=True, role="staff")
        db.session.commit()
    limiter.reset()
    yield app
    limiter.reset()
    with app.app_context():
        db.engine.dispose()


def _limited_sign_in(app, ip: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    assert client.post("/login", data={"login": "carol", "password": PASSWORD}).status_code == 302
    return client


def test_wrong_codes_are_throttled_per_account_across_addresses(limited_app):
    client = _limited_sign_in(limited_app, "198.51.100.1")
    secret = _secret_from(text(client.get("/settings/two-factor")))
    client.post("/settings/two-factor", data={"code": _code(secret)})
    statuses = []
    for i in range(5):  # three addresses, one account
        c = _limited_sign_in(limited_app, f"198.51.100.{i % 3 + 2}")
        statuses.append(c.post("/login/code", data={"code": "000000" if _code(secret) != "000000" else "111111"}).status_code)
    assert statuses[:3] == [422] * 3
    assert statuses[3:] == [429, 429]
    # Even the right code waits now, from a fresh address.
    c = _limited_sign_in(limited_app, "203.0.113.9")
    resp = c.post("/login/code", data={"code": _code(secret, 1)})
    assert resp.status_code == 429
    assert "Too many wrong codes for this account" in text(resp)
    assert int(resp.headers["Retry-After"]) > 0


def test_code_attempts_are_throttled_per_ip(limited_app):
    with limited_app.app_context():
        account_services.create_user(username="dave", email="dave@example.com", password=PASSWORD,
                                     verified=True, role="staff")
        db.session.commit()
    client = limited_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.50"
    client.post("/login", data={"login": "dave", "password": PASSWORD})
    statuses = [client.post("/settings/two-factor", data={"code": "12345x"}).status_code for _ in range(6)]
    assert 429 in statuses


# --- admin reset ----------------------------------------------------------------------------


def test_admin_reset_is_logged_and_signs_the_user_out(app, client, make_user, enrolled_staff):
    user, _, _ = enrolled_staff
    make_user("root", role="admin")
    victim = app.test_client()  # carol half-signed-in somewhere
    AuthActions(victim).login("carol")
    # The admin, password only: refused until enrolled (2FA is required for admins too).
    AuthActions(client).login("root")
    assert client.get(f"/admin/users/{user['id']}/role").status_code == 302
    enrol(client)
    page = client.get(f"/admin/users/{user['id']}/role")
    assert "Reset two-factor sign-in" in text(page)
    token = csrf_token(client, f"/admin/users/{user['id']}/role")
    resp = client.post(f"/admin/users/{user['id']}/two-factor/reset", data={"csrf_token": token, "reason": ""},
                       follow_redirects=True)
    assert "A reason is required" in " ".join(flashes(resp))
    with app.app_context():
        assert db.session.get(TwoFactor, user["id"]) is not None
    resp = client.post(f"/admin/users/{user['id']}/two-factor/reset",
                       data={"csrf_token": token, "reason": "Lost phone, checked by video call"})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(TwoFactor, user["id"]) is None
        assert db.session.scalar(select(RecoveryCode).where(RecoveryCode.user_id == user["id"])) is None
        entry = db.session.scalar(select(ModerationLogEntry).where(ModerationLogEntry.action == "reset_two_factor"))
        assert entry.reason == "Lost phone, checked by video call"
        assert entry.subject_user_id == user["id"]
    assert "Reset a member" in text(client.get("/moderation-log"))
    assert victim.get("/login/code").status_code == 302  # signed out
    # Her next sign-in leads to enrolment again.
    fresh = app.test_client()
    AuthActions(fresh).login("carol")
    assert "Set up two-factor sign-in" in text(fresh.get("/login/code", follow_redirects=True))


def test_only_admins_reset_and_not_their_own(app, client, make_user, enrolled_staff):
    user, secret, _ = enrolled_staff
    use_up_current_step(app, "carol")
    AuthActions(client).login("carol")
    _post_code(client, "/login/code", _code(secret, 1))
    token = csrf_token(client, "/settings")
    resp = client.post(f"/admin/users/{user['id']}/two-factor/reset", data={"csrf_token": token, "reason": "x"})
    assert resp.status_code == 403
    with app.app_context():
        assert db.session.get(TwoFactor, user["id"]) is not None


def test_cli_reset_is_logged(app, runner, enrolled_staff):
    user, _, _ = enrolled_staff
    result = runner.invoke(args=["users", "reset-2fa", "carol", "--reason", "Lost phone"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(TwoFactor, user["id"]) is None
        assert db.session.scalar(select(ModerationLogEntry.reason).where(
            ModerationLogEntry.action == "reset_two_factor")) == "Lost phone"
    assert runner.invoke(args=["users", "reset-2fa", "nobody", "--reason", "x"]).exit_code == 1


# --- members opt in -------------------------------------------------------------------------


def test_member_signs_in_without_a_code_until_opting_in(app, client, make_user, staff_2fa):
    make_user("jess")
    resp = AuthActions(client).login("jess")
    assert urlsplit(resp.headers["Location"]).path == "/"
    settings = text(client.get("/settings"))
    assert "Two-factor sign-in" in settings
    assert "Set up two-factor sign-in" in settings
    secret, codes, _ = enrol(client)
    assert len(codes) == 10
    assert "recovery codes left" in text(client.get("/settings")) or "10 recovery codes left" in text(client.get("/settings"))
    AuthActions(client).logout()
    use_up_current_step(app, "jess")
    resp = AuthActions(client).login("jess")
    assert urlsplit(resp.headers["Location"]).path == "/login/code"
    assert client.get("/settings").status_code == 302  # nothing but the code page until then
    assert _post_code(client, "/login/code", _code(secret, 1)).status_code == 302
    assert client.get("/settings").status_code == 200


def test_member_turns_it_off_with_a_code(app, client, make_user):
    make_user("jess")
    AuthActions(client).login("jess")
    secret, _, _ = enrol(client)
    use_up_current_step(app, "jess")
    token = csrf_token(client, "/settings")
    resp = client.post("/settings/two-factor/disable", data={"csrf_token": token, "code": "000000"})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(TwoFactor)) is not None
    resp = client.post("/settings/two-factor/disable", data={"csrf_token": token, "code": _code(secret, 1)})
    assert "Two-factor sign-in is off" in " ".join(flashes(client.get("/settings")))
    with app.app_context():
        assert db.session.scalar(select(TwoFactor)) is None


def test_staff_cannot_turn_it_off_while_required(app, client, enrolled_staff):
    _, secret, _ = enrolled_staff
    use_up_current_step(app, "carol")
    AuthActions(client).login("carol")
    _post_code(client, "/login/code", _code(secret, 1))
    assert "Staff accounts must keep it on" in text(client.get("/settings"))
    token = csrf_token(client, "/settings")
    client.post("/settings/two-factor/disable", data={"csrf_token": token, "code": _code(secret, 2)})
    with app.app_context():
        assert db.session.scalar(select(TwoFactor)) is not None


def test_next_is_kept_through_the_code_step(app, client, enrolled_staff):
    _, secret, _ = enrolled_staff
    use_up_current_step(app, "carol")
    client.get("/login")
    resp = client.post("/login?next=/staff/queue", data={"login": "carol", "password": PASSWORD,
                                                       "csrf_token": csrf_token(client, "/login")})
    location = resp.headers["Location"]
    assert urlsplit(location).path == "/login/code"
    assert "next=" in location
    resp = client.post(location, data={"code": _code(secret, 1), "csrf_token": csrf_token(client, location)})
    assert urlsplit(resp.headers["Location"]).path == "/staff/queue"
