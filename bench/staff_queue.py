"""The staff queue ("needs a response") on a generated forum: SQL queries and median time
per page, as a staff member sees it (see generate.py for building the forum). Not named
queue.py: a script's folder is first on sys.path, and that name would hide the standard
library's queue module from every other bench script.

    .venv/bin/python bench/generate.py --db sqlite:////tmp/q10k.db --topics 10000 --posts 100000
    .venv/bin/python bench/staff_queue.py --db sqlite:////tmp/q10k.db [--repeat 30]

Pages: the queue (all boards), one board, and a deep page (the 20th, or the last). Also
prints the query plan of the queue's one SELECT, to show it walks the ``ix_topics_queue*``
indexes rather than the table. Requests go through Flask's test client in-process.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy import event, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pages import measure  # noqa: E402 - bench/pages.py, beside this script

from forum import create_app
from forum.extensions import db
from forum.helpdesk import queries
from forum.models import Category, Topic, User


def _plan(engine, category_id: int | None) -> list[str]:
    """The query plan of the queue's one SELECT, as staff_queue() sends it."""
    seen = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        queries.staff_queue(1, category_id)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    assert len(seen) == 1, f"the queue ran {len(seen)} queries"
    statement, parameters = seen[0]
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(prefix + statement, parameters)
        return [" ".join(str(c) for c in row) for row in cur.fetchall()]
    finally:
        raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        engine = db.engine
        topics = db.session.scalar(select(func.count(Topic.id)))
        waiting = db.session.scalar(select(func.count(Topic.id)).where(Topic.state.in_(("waiting", "reopened"))))
        staff = db.session.scalar(select(User).where(User.role == "staff").order_by(User.id))
        cat = db.session.scalar(select(Category).order_by(Category.id.desc()))
        deep = max(1, min(20, -(-waiting // queries.QUEUE_PER_PAGE)))
        plans = {"all boards": _plan(engine, None), "one board": _plan(engine, cat.id)}
    client = app.test_client()
    resp = client.post("/login", data={"login": staff.username, "password": "bench-password-123"})
    assert resp.status_code == 302, "staff sign-in failed"
    paths = ["/staff/queue", f"/staff/queue?category={cat.slug}", f"/staff/queue?page={deep}"]
    results = [measure(client, engine, p, args.repeat) for p in paths]
    print(json.dumps({"db": engine.dialect.name, "topics": topics, "waiting": waiting, "pages": results,
                      "plans": plans}, indent=1))


if __name__ == "__main__":
    main()
