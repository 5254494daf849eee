"""Two-factor sign-in for staff in a real browser (issue 18): the first sign-in leads
straight to enrolment, the QR code shows under the strict CSP, one code confirms, the
recovery codes are shown once, and the next sign-in asks for a code after the password.
With JavaScript on and off."""

from __future__ import annotations

import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from forum.accounts import services as account_services
from forum.extensions import db
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page: Page, live, username: str) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_staff_enrol_then_sign_in_with_a_code(two_factor_server, new_page, javascript):
    live = two_factor_server
    username = f"care{'js' if javascript else 'nojs'}"
    with live.app.app_context():
        account_services.create_user(username=username, email=f"{username}@example.com", password=PASSWORD,
                                     role="staff", verified=True)
        db.session.commit()
    page = new_page(javascript=javascript, viewport={"width": 390, "height": 844})
    sign_in(page, live, username)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    qr = page.locator("img.qr-code")
    expect(qr).to_be_visible()
    assert page.evaluate("document.querySelector('img.qr-code').naturalWidth") > 0  # data: image allowed by CSP
    uri = page.locator("code.totp-uri").inner_text()
    assert uri.startswith("otpauth://totp/")
    secret = page.locator("code.totp-secret").inner_text()
    assert f"secret={secret}" in uri
    # Staff pages are refused until enrolled.
    page.goto(live.url + "/staff/queue")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in is on")
    expect(page.locator("ul.recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have saved them: continue").click()
    page.goto(live.url + "/staff/queue")
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Set up two-factor sign-in")
    # Sign out, and in again: a code after the password (one from the next step: the
    # current one was used to enrol and works only once).
    page.locator("details.account-menu > summary").click()  # the account menu holds Sign out
    page.get_by_role("button", name="Sign out").first.click()
    sign_in(page, live, username)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your sign-in code")
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(username)
    page.goto(live.url + "/settings")
    expect(page.locator("#two-factor")).to_have_text("Two-factor sign-in")
    expect(page.get_by_text("Staff accounts must keep it on")).to_be_visible()
