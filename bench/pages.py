"""Median time and SQL queries per page, on a generated forum (see generate.py).

    .venv/bin/python bench/pages.py --db sqlite:////tmp/bench.db [--repeat 30]

Pages: home, a category's first and 40th page (or last, when fewer), the category's
first page filtered to resolved and to unanswered topics, the biggest topic's first and
last page, a small topic, a resolved topic, a permalink to a deep reply, and (signed in
as staff) the staff queue, its last board filter and a topic page. Requests go through Flask's
test client in-process, so the figures are the app's own cost, without network.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from sqlalchemy import event, func, select

from forum import create_app
from forum.extensions import db
from forum.models import Category, Post, Topic, User


def measure(client, engine, path: str, repeat: int) -> dict:
    queries = []
    times = []
    for _ in range(repeat):
        count = [0]

        def on_exec(*args, count=count, **kwargs):
            count[0] += 1

        event.listen(engine, "before_cursor_execute", on_exec)
        t0 = time.perf_counter()
        resp = client.get(path)
        times.append(time.perf_counter() - t0)
        event.remove(engine, "before_cursor_execute", on_exec)
        assert resp.status_code in (200, 302), (path, resp.status_code)
        queries.append(count[0])
    return {"path": path, "median_ms": round(statistics.median(times) * 1000, 2), "queries": max(queries)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        engine = db.engine
        posts = db.session.scalar(select(func.count(Post.id)))
        topics = db.session.scalar(select(func.count(Topic.id)))
        cat = db.session.scalar(select(Category).order_by(Category.id))
        big = db.session.scalar(select(Topic).order_by(Topic.reply_count.desc()))
        small = db.session.scalar(select(Topic).where(Topic.reply_count.between(3, 10)).order_by(Topic.id.desc()))
        deep = db.session.scalar(select(Post).where(Post.topic_id == big.id).order_by(Post.depth.desc(), Post.id.desc()))
        threads = db.session.scalar(
            select(func.count(Post.id)).where(Post.topic_id == big.id, Post.parent_id.is_(None), Post.is_first.is_(False))
        )
        cat_topics = db.session.scalar(select(func.count(Topic.id)).where(Topic.category_id == cat.id))
        deep_cat_page = min(40, max(1, -(-cat_topics // app.config["TOPICS_PER_PAGE"])))
        last_page = max(1, -(-threads // app.config["THREADS_PER_PAGE"]))
        resolved = db.session.scalar(select(Topic).where(Topic.is_resolved.is_(True)).order_by(Topic.id.desc()))
        staff = db.session.scalar(select(User).where(User.role == "staff").order_by(User.id))
        waiting = db.session.scalar(select(func.count(Topic.id)).where(Topic.state.in_(("waiting", "reopened"))))
        last_cat = db.session.scalar(select(Category).order_by(Category.id.desc()))
        paths = [
            "/",
            f"/c/{cat.slug}",
            f"/c/{cat.slug}?page={deep_cat_page}",
            f"/c/{cat.slug}?status=resolved",
            f"/c/{cat.slug}?status=unanswered",
            f"/t/{big.id}",
            f"/t/{big.id}?page={last_page}",
            f"/t/{small.id}",
            *([f"/t/{resolved.id}"] if resolved is not None else []),
            f"/p/{deep.id}",
        ]
        staff_paths = ["/staff/queue", f"/staff/queue?category={last_cat.slug}", f"/t/{big.id}"]
    client = app.test_client()
    results = [measure(client, engine, p, args.repeat) for p in paths]
    staff_client = app.test_client()
    resp = staff_client.post("/login", data={"login": staff.username, "password": "bench-password-123"})
    assert resp.status_code == 302, "staff sign-in failed"
    results += [{**measure(staff_client, engine, p, args.repeat), "as": "staff"} for p in staff_paths]
    print(json.dumps({"db": engine.dialect.name, "topics": topics, "posts": posts, "waiting_for_staff": waiting,
                      "pages": results}, indent=1))


if __name__ == "__main__":
    main()
