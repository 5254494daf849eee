"""The staff identity provider: roles from a claim, MFA from ``amr`` instead of the
forum's own second step, and the switch that keeps staff off local sign-in."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import ModerationLogEntry, UserSession
from tests.conftest import PASSWORD, AuthActions
from tests.sso.test_flow import CUSTOMER, counts, link_of, signed_in, text, user

PRIYA = {"sub": "emp-42", "email": "priya@corp.example", "email_verified": True, "groups": ["care-team"],
         "amr": ["pwd", "mfa"]}


@pytest.fixture
def priya(make_user):
    return make_user("care.priya", email="priya@corp.example", verified=True, role="staff")


def _session_row(app, user_id):
    with app.app_context():
        return db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)
                                  .order_by(UserSession.id.desc())).first()


def test_staff_role_from_claim(app, flow, client, make_user):
    priya = make_user("care.priya", email="priya@corp.example", verified=True)
    resp = flow.sign_in("corp", claims=PRIYA)
    assert resp.status_code == 302
    assert user(app, "care.priya").role == "staff"
    assert link_of(app, "emp-42") == ("corp", priya["id"], "verified_email")
    with app.app_context():
        entry = db.session.scalar(select(ModerationLogEntry).where(ModerationLogEntry.action == "change_role"))
        assert entry is not None
        assert "groups claim" in entry.reason
    assert signed_in(client)


def test_highest_mapped_role_wins_and_losing_the_claim_demotes(app, flow, client, make_user):
    make_user("care.priya", email="priya@corp.example", verified=True)
    flow.sign_in("corp", claims={**PRIYA, "groups": ["moderators", "forum-admins", "unknown-group"]})
    assert user(app, "care.priya").role == "admin"
    AuthActions(client).logout()
    flow.sign_in("corp", claims={**PRIYA, "groups": "moderators"})  # a single string counts too
    assert user(app, "care.priya").role == "moderator"
    AuthActions(client).logout()
    flow.sign_in("corp", claims={**PRIYA, "groups": ["somewhere-else"]})
    assert user(app, "care.priya").role == "member"


def test_member_provider_never_changes_roles(app, flow, client, make_user):
    make_user("jess", email="jess@example.com", verified=True)
    flow.sign_in("customer", claims={**CUSTOMER, "groups": ["forum-admins"]})
    assert user(app, "jess").role == "member"


def test_new_staff_account_through_the_corporate_provider(app, flow, client):
    flow.sign_in("corp", claims={**PRIYA, "email": "new.hire@corp.example"})
    from tests.conftest import csrf_token

    resp = client.post("/sso/corp/finish/new", data={"username": "Care_Sam",
                                                     "csrf_token": csrf_token(client, "/sso/corp/finish")})
    assert resp.status_code == 302, text(resp)
    assert user(app, "Care_Sam").role == "staff"


def test_mfa_from_the_provider_skips_the_forums_second_step(app, flow, client, priya, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_2FA_REQUIRED", True)
    resp = flow.sign_in("corp", claims=PRIYA)
    assert resp.status_code == 302
    assert "/login/code" not in resp.headers["Location"]
    assert _session_row(app, priya["id"]).needs_second_factor is False
    assert client.get("/staff/queue").status_code == 200


@pytest.mark.parametrize("amr", [None, ["pwd"], "mfa", [], ["MFA"], ["mfa-ish"]])
def test_without_mfa_the_second_step_stays(app, flow, client, priya, monkeypatch, amr):
    monkeypatch.setitem(app.config, "STAFF_2FA_REQUIRED", True)
    claims = {k: v for k, v in PRIYA.items() if k != "amr"}
    if amr is not None:
        claims["amr"] = amr
    resp = flow.sign_in("corp", claims=claims)
    if amr == "mfa":  # not a JSON array: the ID token is refused, nothing opens
        assert resp.status_code == 400
        assert _session_row(app, priya["id"]) is None
        return
    assert "/login/code" in resp.headers["Location"]
    assert _session_row(app, priya["id"]).needs_second_factor is True
    assert client.get("/staff/queue").status_code == 302  # to the enrolment page


def test_accepted_amr_values_are_a_setting(app, flow, client, priya, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_2FA_REQUIRED", True)
    monkeypatch.setitem(app.config, "OIDC_MFA_AMR", ["hwk"])
    flow.sign_in("corp", claims=PRIYA)  # "mfa" no longer counts
    assert _session_row(app, priya["id"]).needs_second_factor is True
    flow.client = app.test_client()  # another browser
    flow.sign_in("corp", claims={**PRIYA, "amr": ["hwk"]})
    assert _session_row(app, priya["id"]).needs_second_factor is False


def test_member_provider_amr_does_not_skip_a_members_second_step(app, flow, client, make_user, monkeypatch):
    jess = make_user("jess", email="jess@example.com", verified=True)
    from forum.accounts import two_factor

    monkeypatch.setattr(two_factor, "needed_at_sign_in", lambda u: True)
    flow.sign_in("customer", claims={**CUSTOMER, "amr": ["mfa"]})
    assert _session_row(app, jess["id"]).needs_second_factor is True


def test_local_sign_in_off_for_staff(app, flow, client, priya, make_user, monkeypatch):
    make_user("mod.sam", role="moderator")
    make_user("jess", email="jess@example.com")
    monkeypatch.setitem(app.config, "OIDC_STAFF_PASSWORD_SIGN_IN", False)
    # Staff: the right password is refused, and nothing opens.
    before = counts(app)
    resp = AuthActions(client).login("mod.sam", PASSWORD)
    assert resp.status_code == 403
    assert "corporate account" in text(resp)
    assert counts(app) == before
    assert not signed_in(client)
    # A wrong password still gets the usual answer (nothing said about the account).
    assert AuthActions(client).login("mod.sam", "wrong-password-1").status_code == 422
    # Members keep their local accounts.
    assert AuthActions(client).login("jess", PASSWORD).status_code == 302
    AuthActions(client).logout()
    # Staff cannot use the customer provider either...
    resp = flow.sign_in("customer", claims={**PRIYA, "sub": "cust-9"})
    assert resp.status_code == 403
    assert counts(app) == before_links(app, before)
    # ... but the corporate one signs them in.
    resp = flow.sign_in("corp", claims=PRIYA)
    assert resp.status_code == 302
    assert signed_in(client)


def before_links(app, before):
    return before[0], before[1], counts(app)[2]


def test_local_sign_in_on_by_default_for_staff(app, client, make_user):
    make_user("mod.sam", role="moderator")
    assert AuthActions(client).login("mod.sam", PASSWORD).status_code == 302
