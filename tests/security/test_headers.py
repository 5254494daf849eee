"""Security headers and cookies (issue 18, finding 4)."""

from __future__ import annotations

import re

import pytest

from forum import create_app
from forum.extensions import db
from forum.security import CONTENT_SECURITY_POLICY
from tests.conftest import PASSWORD, AuthActions


@pytest.mark.parametrize("path", ["/", "/login", "/no-such-page", "/healthz", "/brand.css"])
def test_every_response_carries_the_headers(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in headers  # plain HTTP in tests


def test_pages_have_no_inline_script_or_style(app, client, make_user, make_category):
    make_user("jess")
    make_category()
    AuthActions(client).login("jess")
    for path in ("/", "/c/network", "/settings", "/login", "/c/network/new", "/status", "/moderation-log"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert "<style" not in html, path
        assert " style=" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path


def test_brand_colours_come_from_a_stylesheet(app, client):
    html = client.get("/").get_data(as_text=True)
    href = re.search(r'<link rel="stylesheet" href="(/brand\.css\?v=[0-9a-f]+)">', html).group(1)
    resp = client.get(href)
    assert resp.mimetype == "text/css"
    assert f"--brand: {app.config['BRAND_COLOR']};" in resp.get_data(as_text=True)


def test_https_site_gets_secure_host_cookies_and_hsts(app, make_user, tmp_path):
    https = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "MAIL_OUTBOX")},
                        "TESTING": True, "RATELIMIT_ENABLED": False, "SITE_URL": "https://community.example",
                        "SEARCH_INDEX_DIR": None})
    https.instance_path = str(tmp_path)
    make_user("jess")
    client = https.test_client()
    site = "https://community.example"
    page = client.get("/login", base_url=site)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    resp = client.post("/login", base_url=site, headers={"Referer": f"{site}/login"},
                       data={"login": "jess", "password": PASSWORD, "remember": "y", "csrf_token": token})
    assert resp.status_code == 302
    cookies = resp.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("__Host-session="))
    remember = next(c for c in cookies if c.startswith("__Host-remember="))
    for c in (session, remember):
        assert "Secure" in c
        assert "HttpOnly" in c
        assert "Path=/" in c
        assert "Domain=" not in c
    with https.app_context():  # its own engine: close its connections (PostgreSQL warns otherwise)
        db.engine.dispose()


def test_csp_constant_is_strict():
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY
    assert "object-src 'none'" in CONTENT_SECURITY_POLICY
