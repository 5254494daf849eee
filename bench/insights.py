"""The insights dashboard on a large generated forum: median render time and query count.

    createdb -h 127.0.0.1 -U postgres forum_insights_bench
    .venv/bin/python bench/insights.py --db postgresql+psycopg://postgres@127.0.0.1:5432/forum_insights_bench \
        --topics 50000 --posts 500000

Builds the forum with bench/generate.py (a year of topics and posts), then fills the
insights rollups with bulk SQL (topic facts from the posts, daily sentiment and answer
counts, terms from the titles), a year of search log, flags, moderation log, incidents
and survey answers, sets the rollup's watermarks, and times ``/staff/insights`` as an
admin (every block): the default 28 days, one board, and a whole year. ``--skip-build``
reuses a database built before. The budget is p50 <= 150 ms.

Each page is timed twice: ``cold`` empties the app cache before every request (the first
request after a rollup run, which gives the rollup tables new generations:
forum/insights/cache.py), ``warm`` is the same page again (the history blocks from the
cache; the backlog, the most negative open topics and the agents' names are still read).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import build  # noqa: E402 - bench/generate.py, beside this script
from pages import measure  # noqa: E402

from forum import create_app
from forum.extensions import cache, db
from forum.insights import rollups
from forum.insights.definitions import utc_hour
from forum.insights.text import TERM_CHARS, terms
from forum.models import (
    AffectedReport,
    Category,
    Flag,
    FoundSurvey,
    Incident,
    IncidentUpdate,
    InsightDaily,
    InsightRollupState,
    InsightTermHour,
    ModerationLogEntry,
    Post,
    SearchDeflection,
    SearchEvent,
    Topic,
    User,
)

FACTS_SQL = """
INSERT INTO insight_topic_facts (topic_id, category_id, asked_at, asked_day, first_response_at, first_staff_response_at,
    first_staff_id, solved_at, solved_by, solver_id, reopen_count, escalated, satisfaction, satisfaction_score,
    satisfaction_at, sentiment, updated_at)
SELECT t.id, t.category_id, t.created_at, {asked_day},
    (SELECT min(p.created_at) FROM posts p WHERE p.topic_id = t.id AND NOT p.is_first AND p.author_id <> t.author_id),
    (SELECT min(p.created_at) FROM posts p JOIN users u ON u.id = p.author_id
        WHERE p.topic_id = t.id AND NOT p.is_first AND u.role <> 'member'),
    (SELECT p.author_id FROM posts p JOIN users u ON u.id = p.author_id
        WHERE p.topic_id = t.id AND NOT p.is_first AND u.role <> 'member' ORDER BY p.created_at LIMIT 1),
    t.solution_accepted_at,
    CASE WHEN t.solution_post_id IS NULL THEN NULL
         WHEN (SELECT u.role FROM posts p JOIN users u ON u.id = p.author_id WHERE p.id = t.solution_post_id) <> 'member'
         THEN 'staff' ELSE 'community' END,
    (SELECT p.author_id FROM posts p WHERE p.id = t.solution_post_id),
    CASE WHEN t.id % 11 = 0 THEN 1 ELSE 0 END, t.id % 53 = 0,
    CASE WHEN t.solution_post_id IS NOT NULL AND t.id % 3 = 0 THEN 'yes'
         WHEN t.solution_post_id IS NOT NULL AND t.id % 7 = 0 THEN 'no' END,
    CASE WHEN t.solution_post_id IS NOT NULL AND t.id % 3 = 0 THEN 1 + t.id % 5 END,
    CASE WHEN t.solution_post_id IS NOT NULL AND (t.id % 3 = 0 OR t.id % 7 = 0) THEN t.solution_accepted_at END,
    ((t.id * 7919) % 2001 - 1000) / 1000.0, t.created_at
FROM topics t WHERE t.state IS NOT NULL
"""

SENTIMENT_SQL = """
INSERT INTO insight_daily (day, category_id, metric, key, value)
SELECT {day}, t.category_id, 'sentiment',
       CASE p.id % 10 WHEN 0 THEN 'negative' WHEN 1 THEN 'negative' WHEN 2 THEN 'positive' WHEN 3 THEN 'positive'
            WHEN 4 THEN 'positive' ELSE 'neutral' END AS k, count(*)
FROM posts p JOIN topics t ON t.id = p.topic_id JOIN users u ON u.id = p.author_id
WHERE u.role = 'member' GROUP BY 1, 2, 4
"""

ANSWERS_SQL = """
INSERT INTO insight_daily (day, category_id, metric, key, value)
SELECT {day}, t.category_id, 'answers', CAST(p.author_id AS VARCHAR(60)), count(*)
FROM posts p JOIN topics t ON t.id = p.topic_id JOIN users u ON u.id = p.author_id
WHERE u.role <> 'member' AND NOT p.is_first GROUP BY 1, 2, 4
"""


def fill(app, seed: int = 2) -> dict:
    rng = random.Random(seed)
    t0 = time.perf_counter()
    with app.app_context():
        pg = db.engine.dialect.name == "postgresql"
        day = "CAST(p.created_at AS DATE)" if pg else "date(p.created_at)"
        for table in ("insight_topic_facts", "insight_daily", "insight_term_hours", "insight_rollup_state",
                      "search_events", "search_deflections", "insight_found_surveys", "affected_reports",
                      "incident_updates", "incidents", "flags", "moderation_log"):
            db.session.execute(text(f"DELETE FROM {table}"))
        facts = FACTS_SQL.format(asked_day="CAST(t.created_at AS DATE)" if pg else "date(t.created_at)")
        db.session.execute(text(facts if pg else facts.replace("NOT p.is_first", "p.is_first = 0")
                                .replace("t.id % 53 = 0,", "(t.id % 53 = 0),")))
        secs = ("CAST(EXTRACT(EPOCH FROM ({0} - asked_at)) AS INTEGER)" if pg
                else "CAST((julianday({0}) - julianday(asked_at)) * 86400 AS INTEGER)")
        db.session.execute(text(f"UPDATE insight_topic_facts SET response_s = {secs.format('first_response_at')}, "
                                f"staff_response_s = {secs.format('first_staff_response_at')}, "
                                f"solve_s = {secs.format('solved_at')}"))
        for sql in (SENTIMENT_SQL, ANSWERS_SQL):
            sql = sql.format(day=day)
            db.session.execute(text(sql if pg else sql.replace("NOT p.is_first", "p.is_first = 0")))
        # Terms from the new questions' titles and opening posts, as the rollup reads them.
        daily, hourly = Counter(), Counter()
        rows = db.session.execute(select(Topic.category_id, Topic.title, Post.body, Post.created_at)
                                  .join(Post, (Post.topic_id == Topic.id) & Post.is_first.is_(True)))
        for cat, title, body, at in rows:
            for term in terms(f"{title}\n{body[:TERM_CHARS]}"):
                daily[(at.date(), cat, term)] += 1
                hourly[(utc_hour(at), cat, term)] += 1
        _bulk(InsightDaily, [{"day": d, "category_id": c, "metric": "term", "key": k, "value": n}
                             for (d, c, k), n in daily.items()])
        _bulk(InsightTermHour, [{"hour": h, "category_id": c, "term": k, "count": n} for (h, c, k), n in hourly.items()])
        now = datetime.now(UTC)
        users = list(db.session.scalars(select(User.id)))
        staff = list(db.session.scalars(select(User.id).where(User.role != "member")))
        cats = list(db.session.scalars(select(Category.id)))
        topic_max = db.session.scalar(select(func.max(Topic.id)))
        post_max = db.session.scalar(select(func.max(Post.id)))
        words = ["esim", "roaming", "pac code", "voicemail", "5g", "wifi calling", "bill", "refund", "apn", "outage"]
        _bulk(SearchEvent, [{"key": f"b{i}", "created_at": now - timedelta(minutes=rng.randrange(90 * 1440)),
                             "source": "page" if i % 5 else "suggest", "query": rng.choice(words) + ("" if i % 9 else f" {i % 300}"),
                             "filters": "", "result_count": 0 if i % 13 == 0 else 10, "latency_ms": 20, "page": 1,
                             "clicked_rank": 1 if i % 3 == 0 else None, "clicked_doc": "t1" if i % 3 == 0 else None}
                            for i in range(60000)])
        _bulk(SearchDeflection, [{"day": (now - timedelta(days=i)).date(), "opens": rng.randrange(50)} for i in range(365)])
        _bulk(FoundSurvey, [{"topic_id": rng.randrange(1, topic_max), "category_id": rng.choice(cats),
                             "found": rng.random() < 0.7, "created_at": now - timedelta(minutes=rng.randrange(365 * 1440))}
                            for _ in range(20000)])
        flags = []
        for i in range(8000):
            at = now - timedelta(minutes=rng.randrange(365 * 1440))
            flags.append({"post_id": 1 + (i * 61) % post_max, "user_id": users[i % len(users)], "reason": "spam",
                          "note": "", "created_at": at, "resolved_at": at + timedelta(minutes=rng.randrange(600)),
                          "resolution": "dismissed", "resolved_by_id": staff[0]})
        _bulk(Flag, flags)
        _bulk(ModerationLogEntry, [{"created_at": now - timedelta(minutes=rng.randrange(365 * 1440)), "actor_id": staff[0],
                                    "action": "hide_post", "target_type": "post", "target_id": i,
                                    "reason": "" if i % 10 == 0 else "Spam", "summary": ""} for i in range(30000)])
        for i in range(60):
            at = now - timedelta(days=6 * i, hours=3)
            inc = db.session.execute(insert(Incident).returning(Incident.id), [{
                "title": f"Outage {i}", "tags": "", "severity": "major", "state": "resolved",
                "created_by_id": staff[0], "created_at": at, "last_update_at": at}]).scalar()
            _bulk(IncidentUpdate, [{"incident_id": inc, "author_id": staff[0], "state": "investigating", "body": "x",
                                    "body_html": "x", "created_at": at + timedelta(minutes=40 * k), "revision_count": 0}
                                   for k in range(6)])
            _bulk(AffectedReport, [{"incident_id": inc, "user_id": users[k], "created_at": at + timedelta(minutes=k)}
                                   for k in range(200)])
        db.session.add_all([InsightRollupState(name=rollups.POST_MARK, value=post_max),
                            InsightRollupState(name=rollups.TRANSITION_MARK, value=db.session.scalar(
                                text("SELECT coalesce(max(id), 0) FROM case_transitions"))),
                            InsightRollupState(name=rollups.RUN_MARK, value=1, ran_at=now)])
        db.session.flush()
        rollups._rollup_search(now)  # the search log's finished days, as the job counts them
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return {"rollups_seconds": round(time.perf_counter() - t0, 1), "term_rows": len(daily), "term_hour_rows": len(hourly)}


class _Cold:
    """A test client that empties the whole app cache before each request (a per-process
    SimpleCache here: clearing it takes microseconds). That is a little worse than after a
    rollup run, which leaves the other features' cached lists alone."""

    def __init__(self, app, client):
        self.app, self.client = app, client

    def get(self, path: str):
        with self.app.app_context():
            cache.clear()
        return self.client.get(path)


def _bulk(model, rows: list[dict]) -> None:
    for i in range(0, len(rows), 5000):
        db.session.execute(insert(model), rows[i:i + 5000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--topics", type=int, default=50000)
    parser.add_argument("--posts", type=int, default=500000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    out = {}
    if not args.skip_build:
        out["forum"] = build(args.db, args.topics, args.posts, users=2000, categories=8)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False, "STAFF_2FA_REQUIRED": False, "TESTING": True})
    if not args.skip_build:
        out["fill"] = fill(app)
    with app.app_context():
        engine = db.engine
        admin = db.session.scalar(select(User.username).where(User.role == "admin").order_by(User.id))
        board = db.session.scalar(select(Category.id).order_by(Category.id))
        t0 = time.perf_counter()
        out["incremental_rollup"] = {**rollups.run_rollup(), "ms": round((time.perf_counter() - t0) * 1000, 1)}
    client = app.test_client()
    resp = client.post("/login", data={"login": admin, "password": "bench-password-123"})
    assert resp.status_code == 302, resp.status_code
    today = datetime.now(UTC).date()
    year = f"start={(today - timedelta(days=364)).isoformat()}&end={today.isoformat()}"
    paths = ("/staff/insights", f"/staff/insights?board={board}", f"/staff/insights?{year}", "/staff/insights/speed.csv")
    out["cold"] = [measure(_Cold(app, client), engine, path, args.repeat) for path in paths]
    for path in paths:  # fill the cache, so every timed request below is warm
        client.get(path)
    out["warm"] = [measure(client, engine, path, args.repeat) for path in paths]
    print(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
