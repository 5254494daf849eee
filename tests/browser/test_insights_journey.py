"""The insights dashboard in a real browser: staff open it, change the range and the
board, download a block's CSV; at 390 px wide nothing overflows sideways."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from playwright.sync_api import expect
from werkzeug.serving import make_server

from forum import create_app
from forum.accounts import services as account_services
from forum.extensions import db
from forum.insights import rollups
from forum.models import Category
from forum.models.base import utcnow
from forum.topics import services as topic_services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PORT = 5181  # this branch's port range is 5180-5189


@pytest.fixture(scope="module")
def insights_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("insights")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'insights.sqlite'}", "SECRET_KEY": "browser-ins",
                      "MAIL_OUTBOX": str(tmp / "outbox"), "RATELIMIT_ENABLED": False, "STAFF_2FA_REQUIRED": False})
    app.instance_path = str(tmp)
    with app.app_context():
        upgrade()
        boards = [Category(name=n, slug=s, position=i) for i, (n, s) in
                  enumerate((("Network & coverage", "network"), ("Billing and a very long board name", "billing")))]
        db.session.add_all(boards)
        db.session.flush()
        care = account_services.create_user(username="ins_care", email="ins_care@example.com", password=PASSWORD,
                                            role="staff", verified=True)
        member = account_services.create_user(username="ins_member", email="ins_member@example.com",
                                              password=PASSWORD, verified=True)
        for i in range(6):
            topic = topic_services.create_topic(boards[i % 2], author=member, title=f"No signal in Leeds number {i}",
                                                body="Terrible, nothing works since the mast update.")
            if i % 2 == 0:
                topic_services.reply_to_topic(topic, author=care, body="We are on it.")
        db.session.commit()
        rollups.run_rollup()
    server = make_server("127.0.0.1", PORT, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-insights", daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{PORT}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    with app.app_context():
        db.engine.dispose()


def _sign_in(page, url):
    page.goto(url + "/login")
    page.get_by_label("Username or email").fill("ins_care")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("ins_care")


def test_staff_use_the_dashboard(insights_server, new_page, tmp_path):
    app, url = insights_server
    page = new_page(javascript=True)
    _sign_in(page, url)
    page.locator("details.account-menu > summary").click()  # the account menu holds Insights
    page.get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Customer Care insights")
    expect(page.locator("#ins-speed")).to_contain_text("3 questions waiting")
    today = utcnow().date()
    page.get_by_label("From date", exact=True).fill((today - timedelta(days=6)).isoformat())
    page.get_by_label("To date", exact=True).fill(today.isoformat())
    page.get_by_label("Board", exact=True).select_option(label="Network & coverage")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("main")).to_contain_text("(7 days)")
    expect(page.get_by_label("Board", exact=True)).to_have_value("1")
    speed_table = page.get_by_role("region", name="Speed of response: the figures behind the chart")
    # Board 1 has topics 0, 2 and 4, all asked today.
    expect(speed_table.get_by_role("row").filter(has_text=today.isoformat()).get_by_role("cell").first).to_have_text("3")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download speed of response as CSV").click()
    download = info.value
    assert download.suggested_filename.endswith("-board1.csv")
    path = tmp_path / "speed.csv"
    download.save_as(path)
    lines = path.read_text().splitlines()
    assert lines[0].startswith("Day,Asked,")
    assert any(line.startswith(f"{today.isoformat()},3,") for line in lines)


def test_dashboard_fits_a_phone_without_javascript(insights_server, new_page):
    app, url = insights_server
    page = new_page(javascript=False, viewport={"width": 390, "height": 844})
    _sign_in(page, url)
    page.goto(url + "/staff/insights")
    expect(page.locator("#ins-sentiment")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{overflow}px of horizontal overflow at 390 px"
    # The bars are drawn and each reads its value beside it.
    expect(page.locator("#ins-speed .ins-bar").first).to_be_visible()
