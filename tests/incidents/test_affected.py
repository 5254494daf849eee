""""I'm affected": once per member per incident (also under concurrent presses, on
both databases), optional area, counter and breakdown; anonymous presses only when
allowed, de-duplicated per browser and rate limited per IP."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from forum.extensions import db, limiter
from forum.incidents import services
from forum.models import AffectedReport, Incident, IncidentFollow, User
from tests.conftest import AuthActions, csrf_token
from tests.topics.dom import page


def _count(app, incident_id) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AffectedReport.id)).where(AffectedReport.incident_id == incident_id))


def test_member_counted_once_with_area(app, client, signed_in, post_form, incident):
    member = signed_in("member")
    path = f"/status/{incident}"
    resp = post_form(f"{path}/affected", {"area": "scotland"}, token_from=path)
    assert resp.status_code == 302
    doc = page(client.get(path))
    assert "you are counted as affected" in doc.one("div", cls="flashes").text.lower()
    assert doc.one(id="affected-count").text == "1"
    assert "Scotland: 1" in doc.one("ul", cls="affected-areas").text
    assert "(Scotland)" in doc.one(id="affected-mine").text
    # A second press (e.g. from the new-topic form) is not counted again.
    resp = post_form(f"{path}/affected", {"area": "london"}, token_from=path)
    assert resp.status_code == 302
    assert "already counted" in page(client.get(path)).one("div", cls="flashes").text
    assert _count(app, incident) == 1
    with app.app_context():
        # Pressing also follows the incident.
        assert db.session.scalar(
            select(func.count(IncidentFollow.id)).where(IncidentFollow.user_id == member["id"])
        ) == 1


def test_breakdown_by_area(app, make_user, incident):
    members = [make_user(f"member{i}") for i in range(4)]
    with app.app_context():
        inc = db.session.get(Incident, incident)
        for member, area in zip(members, ["london", "london", "wales", None], strict=True):
            user = db.session.get(User, member["id"])
            assert services.report_affected(inc, user=user, area=area)
        db.session.commit()
    doc = page(app.test_client().get(f"/status/{incident}"))
    assert doc.one(id="affected-count").text == "4"
    assert [li.text for li in doc.one("ul", cls="affected-areas").find_all("li")] == [
        "London: 2",
        "Wales: 1",
        "Not given: 1",
    ]


def test_concurrent_presses_count_once(app, make_user, incident):
    """Eight threads press at once for the same member: one row, no error."""
    member = make_user("racer")
    barrier = threading.Barrier(8)
    results: list = []
    errors: list = []

    def press():
        try:
            with app.app_context():
                inc = db.session.get(Incident, incident)
                user = db.session.get(User, member["id"])
                barrier.wait(timeout=10)
                counted = services.report_affected(inc, user=user, area="london")
                db.session.commit()
                results.append(counted)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))

    threads = [threading.Thread(target=press) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(results) == [False] * 7 + [True]
    assert _count(app, incident) == 1


def test_concurrent_presses_of_many_members_all_count(app, make_user, incident):
    members = [make_user(f"crowd{i}") for i in range(6)]
    barrier = threading.Barrier(len(members))
    errors: list = []

    def press(member_id):
        try:
            with app.app_context():
                inc = db.session.get(Incident, incident)
                barrier.wait(timeout=10)
                services.report_affected(inc, user=db.session.get(User, member_id))
                db.session.commit()
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))

    threads = [threading.Thread(target=press, args=(m["id"],)) for m in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert _count(app, incident) == len(members)


def test_bad_area_is_refused(app, client, signed_in, post_form, incident):
    signed_in("member")
    resp = post_form(f"/status/{incident}/affected", {"area": "atlantis"}, token_from=f"/status/{incident}")
    assert resp.status_code == 422
    assert "Not a valid choice" in page(resp).one("div", cls="error-summary").text
    assert _count(app, incident) == 0


def test_resolved_incident_takes_no_presses(app, client, signed_in, post_form, make_incident):
    iid = make_incident(resolved=True)
    signed_in("member")
    resp = post_form(f"/status/{iid}/affected", {"area": ""}, token_from=f"/status/{iid}")
    assert resp.status_code == 302
    assert "no longer count" in page(client.get(resp.location)).one("div", cls="flashes").text
    assert _count(app, iid) == 0


def test_unverified_member_gets_explanation(app, client, signed_in, incident):
    signed_in("member", verified=False)
    token = csrf_token(client, "/")
    resp = client.post(f"/status/{incident}/affected", data={"csrf_token": token})
    assert resp.status_code == 403
    assert "Confirm your email" in resp.get_data(as_text=True)
    assert _count(app, incident) == 0


def test_anonymous_press_needs_sign_in_by_default(app, client, incident):
    doc = page(client.get(f"/status/{incident}"))
    assert "Sign in" in doc.one("section", cls="affected").text
    resp = client.get(f"/status/{incident}/affected")
    assert resp.status_code == 302
    assert "/login" in resp.location
    assert _count(app, incident) == 0


@pytest.fixture
def anon_reports(app, monkeypatch):
    monkeypatch.setitem(app.config, "INCIDENT_ANON_REPORTS", True)


def test_anonymous_press_once_per_browser(app, anon_reports, incident):
    path = f"/status/{incident}"
    browser = app.test_client()
    doc = page(browser.get(path))
    assert doc.one("section", cls="affected").find("a").get("href") == f"{path}/affected"
    token = csrf_token(browser, f"{path}/affected")
    assert browser.post(f"{path}/affected", data={"csrf_token": token, "area": "wales"}).status_code == 302
    assert browser.post(f"{path}/affected", data={"csrf_token": token, "area": "wales"}).status_code == 302
    assert _count(app, incident) == 1
    # Another browser counts too; a forged cookie gets a fresh key instead of an error.
    other = app.test_client()
    other.set_cookie("forum_affected", "forged.value", domain="localhost")
    token = csrf_token(other, f"{path}/affected")
    assert other.post(f"{path}/affected", data={"csrf_token": token}).status_code == 302
    assert _count(app, incident) == 2
    with app.app_context():
        assert db.session.scalar(select(func.count(AffectedReport.id)).where(AffectedReport.user_id.is_(None))) == 2


def test_anonymous_presses_rate_limited_per_ip(app, anon_reports, monkeypatch, incident, make_user):
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "INCIDENT_ANON_REPORT_LIMIT", "2 per hour")
    with app.app_context():
        limiter.reset()
    path = f"/status/{incident}/affected"
    codes = []
    for _ in range(3):
        browser = app.test_client()  # new browser each time: only the IP limit stops it
        token = csrf_token(browser, path)
        codes.append(browser.post(path, data={"csrf_token": token}).status_code)
    assert codes == [302, 302, 429]
    assert _count(app, incident) == 2
    # Signed-in members are not held by the anonymous limit.
    member = make_user("signed")
    client = app.test_client()
    assert AuthActions(client).login(member["username"]).status_code == 302
    assert client.post(path, data={"csrf_token": csrf_token(client, f"/status/{incident}")}).status_code == 302
    assert _count(app, incident) == 3
    with app.app_context():
        limiter.reset()
