"""The token pages: /settings/api-tokens (staff) and /admin/api-tokens (admins)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import ApiToken

SECRET = re.compile(r'<code class="token-secret">(fapi_[A-Za-z0-9_-]+)</code>')


def _create(post_form, path, **extra):
    data = {"name": "My tools", "scope_read": "y", **extra}
    return post_form(path, data, token_from=path)


def test_staff_create_see_once_use_and_revoke(app, client, signed_in, post_form, api):
    signed_in("staff")
    resp = _create(post_form, "/settings/api-tokens", scope_write="y")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    secret = SECRET.search(resp.get_data(as_text=True)).group(1)
    listing = client.get("/settings/api-tokens").get_data(as_text=True)
    assert secret not in listing
    assert secret[:12] in listing
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.kind == "personal"
        assert row.scopes == "read write"
        token_id = row.id
    assert api(secret).get("/api/v1/me").status_code == 200
    resp = post_form(f"/api-tokens/{token_id}/revoke", {}, token_from="/settings/api-tokens")
    assert resp.status_code == 302
    assert api(secret).get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("role", ["member"])
def test_members_have_no_token_page(client, signed_in, role):
    signed_in(role)
    assert client.get("/settings/api-tokens").status_code == 403
    assert client.get("/admin/api-tokens").status_code == 403


def test_visitor_is_sent_to_sign_in(client):
    assert client.get("/settings/api-tokens").status_code == 302
    assert client.get("/admin/api-tokens").status_code == 302


def test_staff_cannot_make_service_tokens_or_revoke_others(app, client, signed_in, post_form, make_user, make_token):
    other = make_user("other-staff", role="staff")
    make_token(other)
    signed_in("staff")
    assert client.get("/admin/api-tokens").status_code == 403
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    assert post_form(f"/api-tokens/{token_id}/revoke", {}, token_from="/settings/api-tokens").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(ApiToken.revoked_at)) is None


@pytest.mark.parametrize(("extra", "message"), [
    ({"scope_read": ""}, "Choose at least one scope."),
    ({"rate_limit": "lots"}, "Write a rate such as"),
    ({"name": ""}, "This field is required."),
])
def test_refused_token_forms_store_nothing(app, signed_in, post_form, extra, message):
    signed_in("staff")
    resp = _create(post_form, "/settings/api-tokens", **extra)
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ApiToken)) is None


def test_admin_creates_a_service_token_acting_as_the_service_account(app, signed_in, post_form, make_user, api):
    make_user("crm-bot", role="staff")
    signed_in("admin")
    resp = _create(post_form, "/admin/api-tokens", service_user="crm-bot", scope_staff="y", scope_write="y",
                   rate_limit="600/minute")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    secret = SECRET.search(resp.get_data(as_text=True)).group(1)
    me = api(secret).get("/api/v1/me").get_json()
    assert me["user"]["username"] == "crm-bot"
    assert me["kind"] == "service"
    resp = _create(post_form, "/admin/api-tokens", service_user="nobody")
    assert resp.status_code == 422
    assert "There is no such account." in resp.get_data(as_text=True)


def test_token_form_without_csrf_is_refused(app, signed_in, post_form):
    signed_in("staff")
    resp = post_form("/settings/api-tokens", {"name": "x", "scope_read": "y"}, with_csrf=False)
    assert resp.status_code in (200, 400, 422)
    with app.app_context():
        assert db.session.scalar(select(ApiToken)) is None
