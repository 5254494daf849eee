"""Every figure of the dashboard computed by hand on the small forum of conftest.py."""

from __future__ import annotations

from datetime import date

import pytest

from forum.extensions import db
from forum.insights import blocks
from forum.insights import definitions as d
from forum.insights.queries import Period
from forum.models import InsightDaily, InsightTopicFact
from forum.templating import localdate
from tests.insights.conftest import NOW

PERIOD = Period(date(2026, 2, 21), date(2026, 3, 20))


def build(app, period=PERIOD, names=blocks.BLOCKS):
    with app.app_context():
        _, data = blocks.build(period, NOW, blocks=tuple(names), z_min=3.0, fmt_time=localdate)
        return data


def tiles(block) -> dict:
    return {t["label"]: t for t in block["tiles"]}


def test_speed_of_response(app, forum):
    speed = build(app)["speed"]
    tl = tiles(speed)
    # Anyone: T1 30 min, T2 20 min, T6 60 min; T3 and T4 unanswered (5 asked).
    assert tl["First response (anyone), median"]["value"] == "30 min"
    assert tl["First response (anyone), median"]["n"] == 3
    assert tl["First response (anyone), p90"]["value"] == "1 h 00 min"
    # Customer Care: T1 2 h, T2 20 min, T6 1 h; previous period: T5 4 h.
    care = tl["First Customer Care response, median"]
    assert (care["value"], care["previous"], care["change"]) == ("1 h 00 min", "4 h 00 min", "−3 h 00 min")
    assert tl["First Customer Care response, p90"]["value"] == "2 h 00 min"
    assert tl["Customer Care within 1 h"]["value"] == "40%"   # T2, T6 of 5
    assert tl["Customer Care within 1 h"]["n"] == 5
    assert tl["Customer Care within 24 h"]["value"] == "60%"
    # The live backlog: T2 (reopened, waiting since 5 March), T3 (28 h), T4 (30 min).
    assert speed["backlog"] == {"waiting": 3, "past_target": 2,
                                "buckets": {"under 1 h": 1, "1–4 h": 0, "4–24 h": 0, "over 24 h": 2}}
    rows = {r[0]: r for r in speed["rows"]}
    assert rows["2026-03-02"][1:4] == [1, "30 min", "2 h 00 min"]
    assert rows["2026-03-20"][1:4] == [2, "1 h 00 min", "1 h 00 min"]  # T4 unanswered, T6 1 h
    boards = {r[0]: r for r in speed["extra_table"]["rows"]}
    assert boards["Billing"][1:3] == [2, "–"]


def test_resolution(app, forum):
    res = build(app)["resolution"]
    tl = tiles(res)
    # Solved: T1 (2 h 05 min, official answer: Customer Care), T2 (24 h, accepted reply: community).
    assert tl["Solved within 7 days"]["value"] == "40%"
    assert tl["Time to solution, median"]["value"] == "13 h 02 min"   # (7500 s + 86400 s) / 2
    assert tl["Time to solution, p90"]["value"] == "24 h 00 min"
    assert tl["Reopen rate"]["value"] == "20%"                       # T2 of 5
    assert tl["Solved by Customer Care"]["value"] == "50%"
    assert tl["Escalated to private cases"]["value"] == "0"
    weeks = {r[0]: r for r in res["rows"]}
    assert weeks["2026-03-02"] == ["2026-03-02", 2, 2, "100%"]
    assert weeks["2026-03-16"] == ["2026-03-16", 3, "not final yet", "not final yet"]
    assert weeks["2026-02-16"] == ["2026-02-16", 0, 0, "–"]


def test_satisfaction(app, forum):
    sat = build(app)["satisfaction"]
    tl = tiles(sat)
    assert tl["“Did this solve your problem?”: Yes"]["value"] == "50%"
    assert tl["“Did this solve your problem?”: Yes"]["n"] == 2
    assert tl["Satisfaction score (1–5), mean"]["value"] == "4"
    assert sat["rows"][3] == ["4", 1, "100%"]


def test_moderation(app, forum):
    mod = build(app)["moderation"]
    tl = tiles(mod)
    assert tl["Flags handled"]["value"] == "2"
    assert tl["Time to handle a flag, median"]["value"] == "1 h 15 min"
    assert tl["Log entries with a reason"]["value"] == "50%"
    rows = {r[0]: r for r in mod["rows"]}
    assert rows["2026-03-10"] == ["2026-03-10", 1, "2 h 00 min"]


def test_incidents(app, forum):
    inc = build(app)["incidents"]
    (row,) = inc["rows"]
    # Opened (with its first update) before the first report: 0; gaps 2 h and 1 h.
    assert row[4:] == [2, "0 min", 3, "1 h 30 min"]
    bars = {b["label"]: b["value"] for b in inc["chart"]}
    assert bars["2026-03-12"] == 2


def test_incident_figures_first_update_after_report():
    fig = d.incident_figures([NOW.replace(hour=9), NOW.replace(hour=8)], [NOW.replace(hour=7), NOW.replace(hour=10)])
    assert fig["first_update"] == 0.0
    fig = d.incident_figures([NOW.replace(hour=8)], [NOW.replace(hour=9, minute=30), NOW.replace(hour=11)])
    assert fig == {"reports": 1, "first_update": 5400.0, "cadence": 5400.0, "updates": 2}


def test_search_and_deflection(app, forum):
    s = build(app)["search"]
    tl = tiles(s)
    assert tl["Searches"]["value"] == "4"
    assert tl["Click-through"]["value"] == "25%"
    assert tl["Searches with no results"]["value"] == "25%"
    assert tl["Similar topics opened while asking"]["value"] == "4"
    assert tl["“Did you find what you needed?”: Yes"]["value"] == "75%"
    assert tl["Questions deflected (estimate)"]["value"] == "≈ 3"
    assert s["rows"][0] == ["esim", 3, "33%"]
    assert s["extra_table"]["rows"] == [["roaming", 1]]


def test_sentiment(app, forum):
    sent = build(app)["sentiment"]
    with app.app_context():
        from forum.insights.text import sentiment_class
        # Member posts in the period, by hand: each text through the scorer.
        texts = ["Leeds mast down\nTerrible signal, awful and useless.", "Same here.",
                 "Roaming charges Spain\nGreat service usually, thanks.", "Check the roaming toggle.",
                 "Bill too high\nWhy is my bill high?", "Leeds mast again\nLeeds mast.",
                 "Voicemail Leeds\nVoicemail is broken."]
        labels = [sentiment_class(x) for x in texts]
    assert labels[0] == "negative"
    assert labels[2] == "positive"
    total = len(texts)
    tl = tiles(sent)
    assert tl["Negative posts"]["value"] == f"{labels.count('negative') / total * 100:.0f}%"
    assert tl["Negative posts"]["n"] == total
    # The most negative open topic: T6 ("broken") is answered, open; T1 is resolved, not listed.
    titles = [r.title for r in sent["negative_topics"]]
    assert "Leeds mast down" not in titles


def test_talk_top_terms(app, forum):
    talk = build(app)["talk"]
    top = dict((r[0], r[1]) for r in talk["rows"])
    # Titles and opening posts of the 5 questions asked in the period; "leeds" in T1, T4, T6.
    assert top["leeds"] == 3
    assert top["mast"] == 2
    assert top["leeds mast"] == 2
    assert talk["rows"][0][0] == "leeds"


def test_team(app, forum):
    team = build(app)["team"]
    (row,) = team["rows"]
    assert row == ["care", 3, "1 h 00 min", 1, "50% (n = 2)"]


def test_board_filter(app, forum):
    period = Period(PERIOD.start, PERIOD.end, forum["b"])
    data = build(app, period, ("speed", "resolution"))
    assert tiles(data["speed"])["Customer Care within 24 h"]["n"] == 2
    assert data["speed"]["backlog"]["waiting"] == 2
    assert tiles(data["resolution"])["Reopen rate"]["value"] == "0%"


def test_rollup_twice_counts_once(app, forum, runner):
    with app.app_context():
        before = db.session.scalar(db.select(db.func.sum(InsightDaily.value)))
    result = runner.invoke(args=["insights", "rollup", "--now", "2026-03-20T12:00:00"])
    assert result.exit_code == 0, result.output
    assert "Counted 0 new posts" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.sum(InsightDaily.value))) == before
        assert db.session.scalar(db.select(db.func.count()).select_from(InsightTopicFact)) == 6
    result = runner.invoke(args=["insights", "rollup", "--rebuild"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.sum(InsightDaily.value))) == before


def test_definitions():
    assert d.median([]) is None
    assert d.p90([]) is None
    assert d.median([1, 2, 3, 10]) == 2.5
    assert d.p90(list(range(1, 11))) == 9
    assert d.p90([5]) == 5
    assert d.share(1, 0) is None
    assert d.z_score(8, [1, 2, 1, 2]) == pytest.approx(6.5)
    assert d.z_score(5, [5, 5, 5, 5]) == 0
    assert d.backlog_bucket(3599) == "under 1 h"
    assert d.backlog_bucket(3600) == "1–4 h"
    assert d.backlog_bucket(86400) == "over 24 h"


def test_search_today_is_read_live(app, forum):
    from forum.models import SearchEvent

    with app.app_context():
        db.session.add(SearchEvent(key="today", created_at=NOW.replace(hour=9), query="pac code", result_count=0))
        db.session.commit()
    s = build(app, names=("search",))["search"]
    assert tiles(s)["Searches"]["value"] == "5"
    assert tiles(s)["Searches with no results"]["value"] == "40%"
    assert ["pac code", 1] in s["extra_table"]["rows"]


def test_a_state_change_refreshes_the_facts_after_commit(app, make_user, make_category):
    from forum.topics import services

    asker, care = make_user("asker2"), make_user("care3", role="staff")
    cat = make_category()
    with app.app_context():
        from forum.models import Category, User

        topic = services.create_topic(db.session.get(Category, cat["id"]), author=db.session.get(User, asker["id"]),
                                      title="Voicemail not working", body="Since Monday.")
        db.session.commit()
        topic_id = topic.id
        assert db.session.get(InsightTopicFact, topic_id) is None  # a new question: the job counts it
        services.reply_to_topic(topic, author=db.session.get(User, care["id"]), body="Fixed now.")
        db.session.commit()
        db.session.expire_all()
        fact = db.session.get(InsightTopicFact, topic_id)
        assert fact is not None
        assert fact.staff_response_s is not None
        assert fact.staff_response_s >= 0
