"""The dashboard over HTTP: who sees what, bad input, CSV, query count, the survey,
the satisfaction score and the spike's "Open an incident"."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from forum.extensions import db
from forum.insights import blocks
from forum.insights import definitions as d
from forum.models import FoundSurvey, InsightTermHour, Topic
from tests.conftest import csrf_token
from tests.insights.conftest import NOW

URL = "/staff/insights"


def sign_in(auth, people, name):
    assert auth.login(name).status_code == 302


@pytest.mark.parametrize("role", ["staff", "executive", "admin"])
def test_staff_see_every_block(client, auth, people, forum, role):
    name = {"staff": "care", "executive": "head", "admin": "boss"}[role]
    sign_in(auth, people, name)
    page = client.get(URL).get_data(as_text=True)
    assert "3 questions waiting" in page
    assert "2 past the response target" in page
    for block in blocks.BLOCKS:
        shown = f'id="ins-{block}"' in page
        assert shown == (block != "team" or role == "admin"), block
    assert "Questions deflected (estimate)" in page
    assert "21 Feb 2026 to 20 Mar 2026" in page
    assert "Europe/London" in page


def test_moderator_sees_moderation_only(client, auth, people, forum):
    sign_in(auth, people, "mod")
    page = client.get(URL).get_data(as_text=True)
    assert 'id="ins-moderation"' in page
    assert 'id="ins-speed"' not in page
    assert "questions waiting" not in page
    assert client.get(URL + "/moderation.csv").status_code == 200
    assert client.get(URL + "/speed.csv").status_code == 404


@pytest.mark.parametrize("who", [None, "alice"])
def test_members_and_visitors_get_404(client, auth, people, forum, who):
    if who:
        sign_in(auth, people, who)
    assert client.get(URL).status_code == 404
    assert client.get(URL + "/speed.csv").status_code == 404


def test_team_csv_is_for_admins(client, auth, people, forum):
    sign_in(auth, people, "care")
    assert client.get(URL + "/team.csv").status_code == 404
    assert client.get(URL + "/nonsense.csv").status_code == 404


@pytest.mark.parametrize(("query", "status", "message"), [
    ("start=2026-13-01", 400, "does not exist"),
    ("start=yesterday", 400, "must look like"),
    ("start=2026-03-10&end=2026-03-01", 400, "on or before"),
    ("start=2020-01-01&end=2026-03-01", 400, "at most 366 days"),
    ("end=2030-01-01", 400, "between 2000 and today"),
    ("board=abc", 400, "board number"),
    ("board=99999", 404, ""),
    ("z=0", 400, "spike threshold"),
    ("z=nan", 400, "spike threshold"),
])
def test_bad_input_is_a_clear_4xx(client, auth, people, forum, query, status, message):
    sign_in(auth, people, "care")
    resp = client.get(f"{URL}?{query}")
    assert resp.status_code == status
    assert message in resp.get_data(as_text=True)


def test_range_board_and_previous_period(client, auth, people, forum):
    sign_in(auth, people, "care")
    page = client.get(f"{URL}?start=2026-03-02&end=2026-03-08&board={forum['a']}").get_data(as_text=True)
    assert "02 Mar 2026 to 08 Mar 2026 (7 days)" in page
    assert f'<option value="{forum["a"]}" selected>' in page
    assert f"board={forum['a']}" in page  # the CSV links keep the filter


def test_csv_content(client, auth, people, forum):
    sign_in(auth, people, "care")
    resp = client.get(f"{URL}/speed.csv?start=2026-03-02&end=2026-03-03")
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert 'filename="insights-speed-2026-03-02-2026-03-03.csv"' in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0][:4] == ["Day", "Asked", "First response (anyone), median", "Customer Care, median"]
    assert rows[1][:4] == ["2026-03-02", "1", "30 min", "2 h 00 min"]
    assert rows[2][:2] == ["2026-03-03", "0"]
    search = list(csv.reader(io.StringIO(client.get(f"{URL}/search.csv").get_data(as_text=True))))
    assert search[1] == ["esim", "3", "33%"]


def test_dashboard_query_count_is_bounded(client, auth, people, forum, count_queries):
    sign_in(auth, people, "boss")
    client.get(URL)
    with count_queries() as counter:
        assert client.get(URL).status_code == 200
    assert counter.count <= 36, counter.statements
    assert not any(re.search(r"\bposts\b", s) for s in counter.statements), "the page read the posts table"


def test_spike_and_open_an_incident(app, client, auth, people, forum):
    hour = d.utc_hour(NOW)
    with app.app_context():
        for term, now_count, base in (("outage", 8, (1, 2, 1, 2)), ("signal", 5, (5, 5, 5, 5))):
            db.session.add(InsightTermHour(hour=hour, category_id=forum["a"], term=term, count=now_count))
            for k, n in enumerate(base, start=1):
                db.session.add(InsightTermHour(hour=hour - timedelta(days=7 * k), category_id=forum["a"], term=term,
                                               count=n))
        db.session.commit()
    sign_in(auth, people, "care")
    page = client.get(URL).get_data(as_text=True)
    assert "<strong>outage</strong>: 8 in the hour" in page
    assert "z = 6.5" in page
    assert "<strong>signal</strong>:" not in page
    link = "/status/new?title=Reports+of+problems:+outage&amp;tags=outage"
    assert link in page
    form = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert 'value="Reports of problems: outage"' in form
    assert "<strong>outage</strong>" not in client.get(URL + "?z=7").get_data(as_text=True)


def test_found_survey_for_visitors_on_solved_topics(app, client, people, forum):
    path = f"/t/{forum['t1']}-leeds-mast-down"
    resp = client.get(path)
    page = resp.get_data(as_text=True)
    assert "Did you find what you needed?" in page
    # the visitor's page stays cookie-free and cacheable: a signed token, not a session's
    assert "Set-Cookie" not in resp.headers
    assert "csrf_token" not in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    found_url = f"/t/{forum['t1']}/found"
    assert client.post(found_url, data={"found": "yes"}).status_code == 400  # no token
    assert client.post(found_url, data={"found": "yes", "token": token + "x"}).status_code == 400
    resp = client.post(found_url, data={"found": "yes", "token": token})
    assert resp.status_code == 303
    client.post(found_url, data={"found": "no", "token": token})  # once per visitor
    assert client.post(found_url, data={"found": "maybe", "token": token}).status_code == 400
    assert client.post(f"/t/{forum['t2']}/found", data={"found": "yes", "token": token}).status_code == 403
    with app.test_request_context():
        from forum.insights.views import found_survey_token

        other = found_survey_token(forum["t6"])
    fresh = app.test_client()  # another visitor, with t6's token on t1's form
    assert fresh.post(found_url, data={"found": "yes", "token": other}).status_code == 400
    with app.app_context():
        rows = db.session.scalars(db.select(FoundSurvey).where(FoundSurvey.created_at > NOW)).all()
        assert [(r.topic_id, r.found) for r in rows] == [(forum["t1"], True)]


def test_found_survey_not_for_members(client, auth, people, forum):
    sign_in(auth, people, "bob")
    assert "Did you find what you needed?" not in client.get(f"/t/{forum['t1']}-x").get_data(as_text=True)


def test_satisfaction_score_after_yes(app, client, auth, people, forum):
    sign_in(auth, people, "alice")
    path = f"/t/{forum['t6']}-voicemail-leeds"
    token = csrf_token(client, path)
    # Before a Yes: refused.
    assert client.post(f"/t/{forum['t6']}/satisfaction/score", data={"score": "5", "csrf_token": token}).status_code == 409
    client.post(f"/t/{forum['t6']}/satisfaction", data={"answer": "yes", "csrf_token": token})
    page = client.get(path).get_data(as_text=True)
    assert "How satisfied are you with the help you got?" in page
    for bad in ("0", "6", "x", ""):
        assert client.post(f"/t/{forum['t6']}/satisfaction/score",
                           data={"score": bad, "csrf_token": token}).status_code == 400, bad
    assert client.post(f"/t/{forum['t6']}/satisfaction/score", data={"score": "5", "csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.get(Topic, forum["t6"]).satisfaction_score == 5
    assert "You gave 5 out of 5." in client.get(path).get_data(as_text=True)
    client.post(f"/t/{forum['t6']}/satisfaction", data={"answer": "no", "csrf_token": token})
    with app.app_context():
        assert db.session.get(Topic, forum["t6"]).satisfaction_score is None


def test_score_by_someone_else_is_refused(client, auth, people, forum):
    sign_in(auth, people, "bob")
    token = csrf_token(client, f"/t/{forum['t1']}-x")
    assert client.post(f"/t/{forum['t1']}/satisfaction/score", data={"score": "5", "csrf_token": token}).status_code == 403
