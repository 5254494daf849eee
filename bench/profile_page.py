"""Where a page's time goes: pyinstrument over many requests through the test client.

    .venv/bin/python bench/profile_page.py --db sqlite:////tmp/forum-ceiling-10000t-100000p.db [--path /t/123] [--signed-in]

Prints the share of wall time by area (SQLAlchemy ORM and Core, the database driver,
Jinja, URL building, forms, Flask/Werkzeug, the forum's own code), then pyinstrument's
own call tree (``--tree``). Without ``--path`` it profiles the topic nearest to 20 posts.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from pyinstrument import Profiler

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AREAS = (  # first match wins: (area, substring of the frame's file path or function)
    ("url_for", "werkzeug/routing"),
    ("url_for", "flask/helpers.py:url_for"),
    ("url_for", "flask/app.py:url_for"),
    ("forms (WTForms, Flask-WTF)", "/wtforms/"),
    ("forms (WTForms, Flask-WTF)", "/flask_wtf/"),
    ("SQLAlchemy ORM", "sqlalchemy/orm/"),
    ("SQLAlchemy Core and engine", "sqlalchemy/"),
    ("database driver", "sqlite3"),
    ("database driver", "psycopg"),
    ("Jinja (templates)", "/jinja2/"),
    ("Jinja (templates)", "<template>"),
    ("Jinja (templates)", "templates/"),
    ("markupsafe", "markupsafe"),
    ("sessions and sign-in", "flask_login"),
    ("sessions and sign-in", "forum/accounts/sessions"),
    ("Flask-Limiter", "flask_limiter"),
    ("Flask-Limiter", "/limits/"),
    ("Flask-Caching", "flask_caching"),
    ("Flask-Caching", "cachelib"),
    ("Flask / Werkzeug", "/flask/"),
    ("Flask / Werkzeug", "/werkzeug/"),
    ("forum code", "/forum/"),
)


def area(frame) -> str:
    where = f"{frame.file_path or ''}:{frame.function}"
    for name, needle in AREAS:
        if needle in where:
            return name
    return "other"


def by_area(root) -> Counter:
    """Self time by area: each frame's time minus its children's. Frames of no area
    (built-ins, the standard library, pyinstrument's ``[self]`` leaves) count for the
    nearest caller that has one, e.g. ``Cursor.execute`` for the SQLAlchemy engine."""
    totals: Counter = Counter()
    stack = [(root, "other")]
    while stack:
        frame, inherited = stack.pop()
        name = "other" if frame.is_synthetic else area(frame)
        if name == "other":
            name = inherited
        totals[name] += frame.time - sum(child.time for child in frame.children)
        stack.extend((child, name) for child in frame.children)
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--path")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--signed-in", action="store_true", help="as a member (the first one)")
    parser.add_argument("--tree", action="store_true", help="also print pyinstrument's call tree")
    args = parser.parse_args()

    from sqlalchemy import func, select

    from forum import create_app
    from forum.extensions import db
    from forum.models import Topic, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    with app.app_context():
        path = args.path
        if not path:
            topic = db.session.scalar(select(Topic).order_by(func.abs(Topic.reply_count - 19), Topic.id))
            path = f"/t/{topic.id}-{topic.slug}"
        member = db.session.scalar(select(User.username).where(User.role == "member").order_by(User.id))
    client = app.test_client()
    if args.signed_in:
        import re

        html = client.get("/login").get_data(as_text=True)
        signed = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        resp = client.post("/login", data={"csrf_token": signed, "login": member, "password": "bench-password-123"})
        assert resp.status_code == 302, resp.status_code
    for _ in range(20):  # warm up: templates compiled, caches filled
        assert client.get(path).status_code == 200
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for _ in range(args.requests):
        client.get(path)
    session = profiler.stop()
    root = session.root_frame()
    totals = by_area(root)
    whole = sum(totals.values()) or 1
    cpu = session.cpu_time
    print(f"{path} ({'signed in' if args.signed_in else 'visitor'}), {args.requests} requests, "
          f"{1000 * root.time / args.requests:.2f} ms wall and {1000 * cpu / args.requests:.2f} ms CPU each "
          "under the profiler")
    print()
    print("| area | share of time |")
    print("|---|---|")
    for name, seconds in totals.most_common():
        print(f"| {name} | {100 * seconds / whole:.1f}% |")
    if args.tree:
        print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
