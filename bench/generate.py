"""Build a large generated forum quickly, with bulk inserts (no ORM objects).

    .venv/bin/python bench/generate.py --db sqlite:////tmp/bench.db --topics 50000 --posts 500000

The schema comes from the migrations, like everywhere else. Users share one password
hash (hashing is the slow part and not what the benchmarks measure).
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

from flask_migrate import upgrade
from sqlalchemy import insert, select, text, update

from forum import create_app
from forum.accounts.services import hash_password
from forum.extensions import db
from forum.markup import render_markdown
from forum.models import Category, Post, Topic, User

WORDS = (
    "signal coverage network outage 4G 5G mast roaming bill charge refund data bundle voicemail sim swap "
    "port number pac code esim handset wifi calling text message broadband contract upgrade tariff "
    "leeds london dublin manchester glasgow cardiff belfast evening morning indoors outdoors dropped calls"
).split()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def build(url: str, topics: int, posts: int, users: int, categories: int, seed: int = 1,
          staff_reply_share: float = 0.4, resolved_share: float = 0.3) -> dict:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    rng = random.Random(seed)
    t0 = time.perf_counter()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        conn = db.session.connection()
        now = datetime.now(UTC)
        pw = hash_password("bench-password-123")
        roles = ["member"] * 90 + ["staff"] * 6 + ["moderator"] * 2 + ["executive", "admin"]
        db.session.execute(
            insert(User),
            [
                {"username": f"user{i}", "username_key": f"user{i}", "email": f"user{i}@bench.example",
                 "email_key": f"user{i}@bench.example", "password_hash": pw, "role": roles[i % len(roles)],
                 "created_at": now - timedelta(days=400), "email_verified_at": now - timedelta(days=400)}
                for i in range(users)
            ],
        )
        db.session.execute(
            insert(Category),
            [{"name": f"Board {i}", "slug": f"board-{i}", "description": "Generated", "position": i,
              "created_at": now} for i in range(categories)],
        )
        user_ids = list(db.session.scalars(select(User.id)))
        # helpdesk: members write most replies; a share of topics gets a staff reply
        # (the rest wait in the staff queue) and a share is resolved.
        staff_ids = list(db.session.scalars(select(User.id).where(User.role != "member")))
        member_ids = list(db.session.scalars(select(User.id).where(User.role == "member")))
        staff_set = set(staff_ids)
        cat_ids = list(db.session.scalars(select(Category.id)))
        html_cache = {}

        def body(n):
            text_ = sentence(rng, n)
            html = html_cache.get(text_) or render_markdown(text_)
            return text_, html

        replies_left = max(posts - topics, 0)
        mean = replies_left / max(topics, 1)
        batch_topics, next_topic_id = [], 1
        solutions: list[dict] = []

        def flush_batch() -> None:
            # Topics, their posts, then the topics' solutions (topics and posts point at each other).
            db.session.execute(insert(Topic), batch_topics)
            db.session.execute(insert(Post), post_rows)
            if solutions:
                db.session.execute(update(Topic), solutions)
            batch_topics.clear()
            post_rows.clear()
            solutions.clear()

        post_rows: list[dict] = []
        next_post_id = 1
        start = now - timedelta(days=365)
        for t in range(topics):
            created = start + timedelta(seconds=int(365 * 86400 * t / max(topics, 1)))
            # Topic 1 is a "mega thread" of up to 1,000 replies; the rest vary around the mean.
            wanted = 1000 if t == 0 else rng.randint(0, int(2 * mean))
            n_replies = replies_left if t == topics - 1 else min(replies_left, wanted)
            replies_left -= n_replies
            author = rng.choice(user_ids)
            tid = next_topic_id
            next_topic_id += 1
            b, h = body(20)
            post_rows.append({"id": next_post_id, "topic_id": tid, "author_id": author, "is_first": True,
                              "parent_id": None, "thread_root_id": None, "depth": 0, "body": b, "body_html": h,
                              "created_at": created, "kudos_count": 0})
            next_post_id += 1
            roots: list[tuple[int, int]] = []  # (post id, depth) candidates to reply to
            last_at, last_poster = created, author
            staff_reply_at = rng.randrange(n_replies) if n_replies and rng.random() < staff_reply_share else -1
            reply_ids: list[int] = []
            for r in range(n_replies):
                last_at = created + timedelta(minutes=7 * (r + 1))
                last_poster = rng.choice(staff_ids) if r == staff_reply_at else rng.choice(member_ids)
                parent = rng.choice(roots) if roots and rng.random() < 0.5 else None
                pid = next_post_id
                next_post_id += 1
                b, h = body(12)
                reply_ids.append(pid)
                row = {"id": pid, "topic_id": tid, "author_id": last_poster, "is_first": False, "body": b,
                       "body_html": h, "created_at": last_at, "parent_id": None, "thread_root_id": None, "depth": 0,
                       "kudos_count": rng.choice((0, 0, 0, 1, 2))}
                if parent:
                    row.update(parent_id=parent[0], thread_root_id=parent[2], depth=parent[1] + 1)
                    roots.append((pid, parent[1] + 1, parent[2]))
                else:
                    roots.append((pid, 0, pid))
                post_rows.append(row)
            solution = rng.choice(reply_ids) if reply_ids and rng.random() < resolved_share else None
            # helpdesk: the case state, as the lifecycle would have left it (forum.helpdesk.cases):
            # staff-started topics are no case; a member writing last means waiting (since the
            # first post after the staff reply); a staff post last means answered.
            staff_last = last_poster in staff_set
            state = None if author in staff_set else ("answered" if staff_last else "waiting")
            waiting_since = created if staff_reply_at < 0 or staff_reply_at == n_replies - 1 else (
                created + timedelta(minutes=7 * (staff_reply_at + 2)))
            batch_topics.append({"id": tid, "category_id": rng.choice(cat_ids), "author_id": author,
                                 "title": sentence(rng, 6)[:150], "is_pinned": t % 997 == 0, "created_at": created,
                                 "reply_count": n_replies, "last_post_at": last_at, "last_poster_id": last_poster,
                                 "has_staff_reply": staff_reply_at >= 0, "state": state,
                                 "waiting_since": waiting_since if state else None,
                                 "answered_at": last_at if state == "answered" else None})
            if solution and state is not None:
                solutions.append({"id": tid, "solution_post_id": solution, "solution_accepted_at": last_at,
                                  "state": "resolved", "resolved_at": last_at})
            if len(batch_topics) >= 2000:
                flush_batch()
        if batch_topics:
            flush_batch()
        db.session.execute(
            text("UPDATE categories SET topic_count = (SELECT count(*) FROM topics WHERE topics.category_id = categories.id)")
        )
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            for table in ("users", "categories", "topics", "posts"):
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
            db.session.execute(text("ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
        db.session.commit()
        del conn
    return {"topics": topics, "posts": next_post_id - 1, "seconds": round(time.perf_counter() - t0, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of an empty (or throw-away) database")
    parser.add_argument("--topics", type=int, default=5000)
    parser.add_argument("--posts", type=int, default=50000)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--categories", type=int, default=8)
    parser.add_argument("--staff-reply-share", type=float, default=0.4, help="share of topics with a staff reply")
    parser.add_argument("--resolved-share", type=float, default=0.3, help="share of answered topics with a solution")
    args = parser.parse_args()
    print(build(args.db, args.topics, args.posts, args.users, args.categories,
                staff_reply_share=args.staff_reply_share, resolved_share=args.resolved_share))


if __name__ == "__main__":
    main()
