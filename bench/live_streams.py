"""How many live incident streams (server-sent events) one gunicorn host holds, and
what they cost the other pages, per worker class.

    .venv/bin/python bench/live_streams.py --worker-class gthread --workers 2 --threads 100 --streams 150
    .venv/bin/python bench/live_streams.py --worker-class sync --workers 2 --streams 10

Starts one gunicorn on a throw-away SQLite demo with Redis (``--redis``, default DB 2),
opens ``--streams`` connections to ``/status/<id>/events`` of an open incident, then
measures: how many streams opened, the latency of plain ``GET /status`` while they are
open, and how long one posted update takes to reach every stream (through Redis
pub/sub). Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SETUP = """
from forum import create_app
from forum.extensions import db
from forum.incidents import services
from forum.models import User
from sqlalchemy import select
app = create_app()
with app.app_context():
    staff = db.session.scalar(select(User).where(User.username == "care.priya"))
    incident = services.open_incident(actor=staff, title="Bench outage", tags="4G", severity="major", body="Looking.")
    db.session.commit()
    print(incident.id)
"""

UPDATE = """
import sys
from forum import create_app
from forum.extensions import db
from forum.incidents import services
from forum.models import Incident, User
from sqlalchemy import select
app = create_app()
with app.app_context():
    staff = db.session.scalar(select(User).where(User.username == "care.priya"))
    services.post_update(db.session.get(Incident, int(sys.argv[1])), actor=staff, state="identified", body="Found it.")
    db.session.commit()
"""


def _get(port: int, path: str, timeout: float = 30.0) -> float:
    """Milliseconds for one GET; ``inf`` when it did not finish within ``timeout``."""
    started = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
            while s.recv(65536):
                pass
    except OSError:
        return float("inf")
    return (time.perf_counter() - started) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker-class", default="gthread")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=100)
    ap.add_argument("--streams", type=int, default=150)
    ap.add_argument("--port", type=int, default=5125)
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/2")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="live-bench-"))
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    env = {**os.environ, "FORUM_INSTANCE_PATH": str(tmp), "FORUM_DATABASE_URL": f"sqlite:///{tmp / 'forum.db'}",
           "FORUM_SECRET_KEY": "bench", "FORUM_REDIS_URL": args.redis, "FORUM_CACHE_KEY_PREFIX": prefix,
           "FORUM_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1", "FORUM_LIVE_STREAM_SECONDS": "25",
           "FORUM_SEARCH_INDEX_DIR": str(tmp / "index"), "FORUM_MAIL_OUTBOX": str(tmp / "outbox"),
           "FORUM_RATELIMIT_ENABLED": "false"}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603 - fixed argv, local only
    subprocess.run([*flask, "demo"], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603 - fixed argv, local only
    incident = subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True,  # noqa: S603 - fixed argv, local only
                              text=True).stdout.strip().splitlines()[-1]
    cmd = [str(ROOT / ".venv/bin/gunicorn"), "-b", f"127.0.0.1:{args.port}", "-w", str(args.workers),
           "-k", args.worker_class, "--timeout", "120", "--graceful-timeout", "2", "wsgi:app"]
    if args.worker_class == "gthread":
        cmd[-1:-1] = ["--threads", str(args.threads)]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp / "gunicorn.log", "w"))  # noqa: S603 - fixed argv, local only
    streams: list[socket.socket] = []
    try:
        for _ in range(300):  # up to a minute on a loaded machine
            if _get(args.port, "/healthz", timeout=1) != float("inf"):
                break
            time.sleep(0.2)
        base = [_get(args.port, "/status") for _ in range(10)]
        opened = 0
        for _ in range(args.streams):
            s = socket.create_connection(("127.0.0.1", args.port), timeout=5)
            s.sendall(f"GET /status/{incident}/events HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            streams.append(s)
        deadline = time.monotonic() + 10
        for s in streams:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                if b"retry:" in s.recv(4096):
                    opened += 1
            except OSError:
                pass
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", UPDATE, incident], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603 - fixed argv, local only
        published = time.perf_counter()
        got = 0
        for s in streams:
            s.settimeout(max(0.01, published + 5 - time.perf_counter()))
            try:
                buf = b""
                while b"event: update" not in buf:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
                got += b"event: update" in buf
            except OSError:
                pass
        reached = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            loaded = list(pool.map(lambda _: _get(args.port, "/status", timeout=10), range(20)))
        print(f"worker class {args.worker_class}, {args.workers} workers"
              + (f" x {args.threads} threads" if args.worker_class == "gthread" else ""))
        print(f"streams opened: {opened}/{args.streams}")
        print(f"GET /status alone: p50 {statistics.median(base):.0f} ms; with the streams open: "
              f"p50 {statistics.median(loaded):.0f} ms, max {max(loaded):.0f} ms "
              f"({sum(x == float('inf') for x in loaded)}/20 not answered within 10 s)")
        print(f"one update reached {got}/{len(streams)} streams within {1000 * (reached - published):.0f} ms of its writer exiting "
              f"(the update script itself took {1000 * (published - started):.0f} ms)")
    finally:
        for s in streams:
            s.close()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        import redis

        client = redis.Redis.from_url(args.redis)
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)


if __name__ == "__main__":
    main()
