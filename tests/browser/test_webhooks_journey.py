"""Webhooks in a real browser: an admin registers an endpoint without JavaScript at
390 px, copies the secret, sends a test ping and reads the delivery log; the pages fit
the phone and the laptop and pass axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from forum.accounts import services as account_services
from forum.extensions import db
from tests.browser.test_design import AXE, AXE_URL, WIDTHS, check_axe, check_overflow
from tests.conftest import PASSWORD
from tests.webhooks.conftest import receiver  # noqa: F401 - the loopback receiver fixture

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def hooks_server(tmp_path_factory):
    from tests.browser.conftest import _start, _stop

    live, server, thread = _start(tmp_path_factory.mktemp("webhooks"), "webhooks", WEBHOOKS_ALLOW_PRIVATE=True)
    with live.app.app_context():
        account_services.create_user(username="hooks.admin", email="hooks.admin@example.test", password=PASSWORD,
                                     role="admin", verified=True)
        db.session.commit()
    yield live
    _stop(live, server, thread)


def _sign_in(page, url):
    page.goto(url + "/login")
    page.get_by_label("Username or email").fill("hooks.admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("hooks.admin")


def test_admin_registers_pings_and_reads_the_log_without_javascript(hooks_server, new_page, receiver):  # noqa: F811
    url = hooks_server.url
    page = new_page(javascript=False, viewport=WIDTHS["phone"])
    _sign_in(page, url)
    page.goto(url + "/admin/webhooks/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    page.get_by_role("link", name="Add an endpoint").click()
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("Description (for admins)").fill("CRM intake")
    page.get_by_label("topic.created: A member or staff started a topic.").check()
    assert check_overflow(page) <= 0
    page.get_by_role("button", name="Save").click()
    secret = page.locator(".webhook-secret-value").inner_text()
    assert secret.startswith("whsec_")
    receiver.secret = secret
    assert check_overflow(page) <= 0
    page.get_by_role("button", name="Send test ping").click()
    expect(page.locator(".webhook-log")).to_contain_text("ping")
    assert receiver.events == ["ping"]
    assert receiver.requests[0]["signature_ok"]
    assert check_overflow(page) <= 0, "the delivery log scrolls sideways at 390 px"


@pytest.mark.parametrize("width", WIDTHS)
def test_webhook_pages_fit_and_pass_axe(hooks_server, new_page, receiver, width):  # noqa: F811
    from forum.models import User
    from forum.webhooks import services

    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run `make test` (npm ci installs axe-core)")
    with hooks_server.app.app_context():
        admin = db.session.scalar(db.select(User).where(User.username == "hooks.admin"))
        endpoint = services.create_endpoint(actor=admin, url=receiver.url, description=f"Axe check {width}",
                                            events=["incident.opened"])
        db.session.commit()
        receiver.secret, endpoint_id = endpoint.secret, endpoint.id
    url = hooks_server.url
    page = new_page(viewport=WIDTHS[width])
    page.context.route(f"{url}{AXE_URL}", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
    _sign_in(page, url)
    page.goto(f"{url}/admin/webhooks/{endpoint_id}")
    page.get_by_role("button", name="Send test ping").click()
    expect(page.locator(".webhook-log")).to_contain_text("ping")
    problems = {}
    for name, path in (("list", "/admin/webhooks/"), ("new", "/admin/webhooks/new"),
                       ("endpoint", f"/admin/webhooks/{endpoint_id}"), ("edit", f"/admin/webhooks/{endpoint_id}/edit")):
        assert page.goto(url + path).status == 200
        found = [f"{over}px wider than the {width} viewport"] if (over := check_overflow(page)) > 0 else []
        found += check_axe(page)
        if found:
            problems[name] = found
    assert problems == {}
