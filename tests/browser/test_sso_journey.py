"""Sign in with OpenID Connect in a real browser (issue 19): the button on /login, the
round trip through a real provider on loopback (tests/sso/provider.py), the "create or
link" page, at 390 px, with JavaScript on and off, and axe-core on each page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import _start, _stop
from tests.browser.test_design import AXE, AXE_URL, check_axe, check_overflow
from tests.sso.provider import CLIENT_SECRET, TestProvider

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def idp():
    provider = TestProvider().start()
    provider.clients = {"forum-customer": CLIENT_SECRET}
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def sso_server(tmp_path_factory, idp):
    live, server, thread = _start(
        tmp_path_factory.mktemp("sso"), "sso", OIDC_PROVIDERS="customer", OIDC_CUSTOMER_ISSUER=idp.issuer,
        OIDC_CUSTOMER_CLIENT_ID="forum-customer", OIDC_CUSTOMER_CLIENT_SECRET=CLIENT_SECRET,
        OIDC_CUSTOMER_LABEL="your Connect account",
    )
    yield live
    _stop(live, server, thread)


def _checked(page: Page, what: str, javascript: bool = True) -> None:
    """No sideways scroll at 390 px, and no axe-core violation (axe needs JavaScript)."""
    if not javascript:
        return
    assert check_overflow(page) <= 0, f"{what} scrolls sideways at 390 px"
    if AXE.exists():
        assert check_axe(page) == [], what


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_first_sign_in_with_the_operator_account(sso_server, idp, new_page, javascript):
    live = sso_server
    suffix = "js" if javascript else "nojs"
    idp.next_claims = {"sub": f"cust-{suffix}", "email": f"rita.{suffix}@example.com", "email_verified": True,
                       "preferred_username": f"rita_{suffix}"}
    page = new_page(javascript=javascript, viewport=PHONE)
    page.context.route(f"{live.url}{AXE_URL}", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
    page.goto(live.url + "/login")
    button = page.get_by_role("link", name="Sign in with your Connect account")
    expect(button).to_be_visible()
    _checked(page, "/login with a provider button", javascript)
    button.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Finish signing in with your Connect account")
    assert f"rita.{suffix}@example.com" not in page.content()
    _checked(page, "the create-or-link page", javascript)
    username = page.get_by_label("Choose your username")
    expect(username).to_have_value(f"rita_{suffix}")
    username.fill(f"Roaming_Rita_{suffix}")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(f"Roaming_Rita_{suffix}")
    # Signed out, the same provider account signs straight in.
    page.context.clear_cookies()
    page.goto(live.url + "/login")
    page.get_by_role("link", name="Sign in with your Connect account").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(f"Roaming_Rita_{suffix}")


def test_a_refused_sign_in_page(sso_server, idp, new_page):
    page = new_page(viewport=PHONE)
    page.context.route(f"{sso_server.url}{AXE_URL}", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
    page.goto(sso_server.url + "/sso/customer/callback?error=access_denied")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in not completed")
    _checked(page, "the refusal page")
