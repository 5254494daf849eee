"""The API token pages in a real browser, without JavaScript at 390 px: a staff
member creates a personal token (shown once), an admin a service token; the pages fit
a phone and pass axe-core."""

from __future__ import annotations

import threading

import pytest
from flask_migrate import upgrade
from playwright.sync_api import expect
from werkzeug.serving import make_server

from forum import create_app
from forum.accounts import services as account_services
from forum.extensions import db
from tests.browser.test_design import AXE, AXE_URL, check_axe, check_overflow
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PORT = 5221  # this branch's port range is 5220-5229


@pytest.fixture(scope="module")
def tokens_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("api-tokens")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'tokens.sqlite'}", "SECRET_KEY": "browser-api",
                      "MAIL_OUTBOX": str(tmp / "outbox"), "RATELIMIT_ENABLED": False, "STAFF_2FA_REQUIRED": False})
    app.instance_path = str(tmp)
    with app.app_context():
        upgrade()
        for name, role in (("tok_care", "staff"), ("tok_admin", "admin"), ("crm-bot", "staff")):
            account_services.create_user(username=name, email=f"{name}@example.com", password=PASSWORD, role=role,
                                         verified=True)
        db.session.commit()
    server = make_server("127.0.0.1", PORT, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-api-tokens", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{PORT}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    with app.app_context():
        db.engine.dispose()


def _sign_in(page, url, username):
    page.set_default_timeout(30_000)  # a shared 2-core machine: sign-in's password hash can be slow
    page.goto(url + "/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(username)


def _check(page, url):
    assert check_overflow(page) <= 0, "horizontal overflow at 390 px"
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run `make test` (npm ci installs axe-core)")
    page.context.route(url + AXE_URL, lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
    found = check_axe(page)
    assert not found, found


@pytest.mark.parametrize(("user", "path", "extra"), [
    ("tok_care", "/settings/api-tokens", {}),
    ("tok_admin", "/admin/api-tokens", {"Acts as (username of the service account)": "crm-bot"}),
])
def test_create_a_token_on_a_phone_without_javascript(tokens_server, new_page, user, path, extra):
    page = new_page(javascript=False, viewport={"width": 390, "height": 844})
    _sign_in(page, tokens_server, user)
    page.goto(tokens_server + path)
    page.get_by_label("Name", exact=True).fill("CRM post-back")
    for label, value in extra.items():
        page.get_by_label(label).fill(value)
    page.get_by_label("write: start topics, reply, post incident updates, notes").check()
    page.get_by_role("button", name="Create").click()
    secret = page.locator("code.token-secret")
    expect(secret).to_contain_text("fapi_")
    expect(page.locator("table.api-tokens")).to_contain_text("CRM post-back")
    assert check_overflow(page) <= 0, "horizontal overflow at 390 px"
    # axe needs JavaScript: the same page, read again with it on (the secret is not shown again)
    js = new_page(javascript=True, viewport={"width": 390, "height": 844})
    _sign_in(js, tokens_server, user)
    js.goto(tokens_server + path)
    expect(js.locator("code.token-secret")).to_have_count(0)
    _check(js, tokens_server)
