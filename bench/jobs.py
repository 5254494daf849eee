"""Job-queue throughput and the web side's cost per write, with one real Celery worker.

    .venv/bin/python bench/jobs.py --broker redis://127.0.0.1:6379/1 --db postgresql+psycopg://postgres@127.0.0.1/forum_bench --n 500

Each of N transactions (one per simulated request) calls notify() for one verified
member (immediate email): the request commits a notify.fanout row and relays it; the
worker writes the notification and a mail.send job, relays that, and writes the .eml.
Reports the web side's commit+relay time per request (p50/p99), the time until every
mail is in the outbox, and whether mails == notifications == N. Bounded: N requests,
a 120 s wait at most; loopback only. Also runs without a broker (in-process) for
comparison with --broker none."""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--broker", default="redis://127.0.0.1:6379/1", help="broker URL, or 'none' for in-process")
    ap.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=2)
    args = ap.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from forum import create_app
    from forum.accounts import services
    from forum.extensions import db
    from forum.models import Notification
    from forum.notify import notify

    tmp = Path(tempfile.mkdtemp(prefix="jobs-bench-"))
    db_url = args.db or f"sqlite:///{tmp / 'bench.db'}"
    broker = None if args.broker == "none" else args.broker
    queue = f"jobs_bench_{uuid.uuid4().hex[:8]}"
    outbox = tmp / "outbox"
    cfg = {"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench", "MAIL_OUTBOX": str(outbox),
           "BROKER_URL": broker, "JOBS_QUEUE": queue, "JOBS_REMOTE_CONTROL": False, "SEARCH_INDEX_DIR": None,
           "PASSWORD_HASH_METHOD": "scrypt:1024:8:1", "SITE_URL": "http://localhost"}
    app = create_app(cfg)
    app.instance_path = str(tmp)
    with app.app_context():
        if db_url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        user = services.create_user(username="ann", email="ann@example.test", password="x" * 20, verified=True)
        db.session.commit()
        uid = user.id

    proc = None
    if broker:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "FORUM_DATABASE_URL": db_url, "FORUM_BROKER_URL": broker,
               "FORUM_JOBS_QUEUE": queue, "FORUM_JOBS_REMOTE_CONTROL": "false", "FORUM_MAIL_OUTBOX": str(outbox),
               "FORUM_SECRET_KEY": "bench", "FORUM_INSTANCE_PATH": str(tmp / "worker"), "FORUM_SITE_URL": "http://localhost",
               "FORUM_SEARCH_INLINE_INDEXER": "false"}
        log = (tmp / "worker.log").open("ab")
        proc = subprocess.Popen([str(Path(sys.executable).parent / "forum"), "jobs", "worker", "--pool=prefork",  # noqa: S603
                                 f"--concurrency={args.concurrency}", "--without-gossip", "--without-mingle",
                                 "--without-heartbeat", "--loglevel=WARNING", "-n", f"{queue}@%h"],
                                env=env, cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        time.sleep(6)  # the worker's start-up (not measured)

    costs = []
    start = time.perf_counter()
    try:
        for i in range(args.n):
            t0 = time.perf_counter()
            with app.app_context():
                notify([uid], kind="reply", text=f"bob replied ({i})", url=f"/t/{i}", actor=None, category="replies",
                       topic=None)
                db.session.commit()
            costs.append(time.perf_counter() - t0)
        sent = time.perf_counter() - start
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(outbox.glob("*.eml"))) < args.n:
            time.sleep(0.05)
        total = time.perf_counter() - start
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    with app.app_context():
        notes = db.session.scalar(select(func.count()).select_from(Notification))
        if broker:
            from forum.jobs.celery_app import celery_for

            with celery_for(app).connection_for_write() as conn:
                conn.default_channel.queue_delete(queue)
    mails = len(list(outbox.glob("*.eml")))
    costs.sort()
    print(f"broker={broker or 'none (in-process)'} db={db_url.split(':')[0]} n={args.n}")
    print(f"request commit+relay: p50 {statistics.median(costs) * 1000:.1f} ms, p99 {costs[int(len(costs) * 0.99) - 1] * 1000:.1f} ms")
    print(f"all {args.n} requests sent in {sent:.1f} s; every mail out after {total:.1f} s "
          f"({args.n / total:.0f} notification mails/s end to end)")
    print(f"notifications stored {notes}, mails written {mails}: {'match' if notes == mails == args.n else 'MISMATCH'}")


if __name__ == "__main__":
    main()
