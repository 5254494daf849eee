"""How close the forum's pages come to a bare Flask page (issue 16), in one run.

    .venv/bin/python bench/ceiling.py                       # 10k and 50k topics
    .venv/bin/python bench/ceiling.py --sizes 10000 --duration 5

For each size it builds (once, then reuses) a generated forum under /tmp with
bench/generate.py (10 posts per topic), upgrades it to the head migration, and starts
two gunicorn servers with the same settings (``--workers`` sync workers): the bare
reference app (bench/ceiling_ref.py: Flask + Jinja + SQLAlchemy, 20 posts with their
authors in one table) and the forum. wrk then loads one page at a time (the
reference first and last, the forum pages in between, as a visitor and signed in as
a member). For every page it prints the throughput (requests/s, and as % of the
reference's) and the CPU the workers spent per request (from /proc, and as × the
reference's). Needs ``wrk`` (``apt-get install wrk``).

Pages: a topic with 20 posts; the biggest topic's first and last page; a board's page 1
and its deepest full page; home.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PASSWORD = "bench-password-123"  # noqa: S105 - bench/generate.py gives every user this password
TICKS = os.sysconf("SC_CLK_TCK")


def database(topics: int, cache_dir: str) -> str:
    """The generated forum for ``topics`` (10 posts each), built once and kept."""
    path = Path(cache_dir) / f"forum-ceiling-{topics}t-{topics * 10}p.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        from generate import build

        tmp = path.with_suffix(".partial")
        tmp.unlink(missing_ok=True)
        print(f"generating {path} ...", file=sys.stderr, flush=True)
        print(build(f"sqlite:///{tmp}", topics, topics * 10, 2000, 8), file=sys.stderr)
        # The generator's engine may still hold the file open in WAL mode: fold the WAL into
        # the database before renaming it, or the renamed file loses what the WAL held.
        import sqlite3

        conn = sqlite3.connect(tmp)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        tmp.rename(path)
        for suffix in ("-wal", "-shm"):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    from flask_migrate import upgrade

    from forum import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        upgrade()  # a cached forum gets the migrations added since it was built
    return url


def pick_pages(url: str) -> dict:
    from sqlalchemy import func, select

    from forum import create_app
    from forum.extensions import db
    from forum.models import Category, Post, Topic, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        live = Topic.merged_into_id.is_(None)
        small = db.session.scalar(  # the topic nearest to 20 posts (the generator gives at most ~19)
            select(Topic).where(live).order_by(func.abs(Topic.reply_count - 19), Topic.id)
        )
        big = db.session.scalar(select(Topic).where(live).order_by(Topic.reply_count.desc(), Topic.id))
        roots = db.session.scalar(
            select(func.count(Post.id)).where(Post.topic_id == big.id, Post.is_first.is_(False), Post.parent_id.is_(None))
        )
        per_thread = app.config["THREADS_PER_PAGE"]
        last_full = max(1, roots // per_thread)
        board = db.session.scalar(select(Category).order_by(Category.topic_count.desc(), Category.id))
        deepest = max(1, board.topic_count // app.config["TOPICS_PER_PAGE"])
        member = db.session.scalar(select(User).where(User.role == "member").order_by(User.id))
        return {
            "pages": {
                f"topic, {small.reply_count + 1} posts": f"/t/{small.id}-{small.slug}",
                f"big topic ({big.reply_count} replies), page 1": f"/t/{big.id}-{big.slug}",
                f"big topic, last full page ({last_full})": f"/t/{big.id}-{big.slug}?page={last_full}",
                "board, page 1": f"/c/{board.slug}",
                f"board, deepest full page ({deepest})": f"/c/{board.slug}?page={deepest}",
                "home": "/",
            },
            "topic_id": small.id,
            "member": member.username,
        }


def start(argv: list[str], env: dict, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env})  # noqa: S603 - fixed argv, local only
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()  # noqa: S310 - 127.0.0.1 only
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server on port {port} did not start")


def gunicorn(app: str, port: int, workers: int, extra: list[str] | None = None) -> list[str]:
    return [str(ROOT / ".venv/bin/gunicorn"), "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}",
            "--log-level", "warning", *(extra or []), app]


def worker_cpu(master: int) -> float:
    """CPU seconds (user + system) used so far by the master's worker processes."""
    total = 0.0
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def sign_in(base: str, username: str) -> str:
    """Sign in through the login form; the Cookie header of the signed-in session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "login": username, "password": PASSWORD}).encode()
    opener.open(base + "/login", data)
    page = opener.open(base + "/").read().decode()
    if f"menu-label-wide\">{username}</span>" not in page:  # the account menu names the member
        raise SystemExit("signing in failed")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def load(master: int, url: str, seconds: int, connections: int, cookie: str | None) -> dict:
    wrk = shutil.which("wrk") or "wrk"
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    subprocess.run([wrk, "-t1", f"-c{connections}", "-d1s", *headers, url], capture_output=True, check=True)  # noqa: S603 - warm up
    cpu0 = worker_cpu(master)
    out = subprocess.run([wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", *headers, url],  # noqa: S603
                         capture_output=True, text=True, check=True).stdout
    cpu = worker_cpu(master) - cpu0
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise SystemExit(f"{url}: {bad.group(1)} error responses")
    return {"rps": float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1)), "requests": requests,
            "cpu_ms": 1000 * cpu / max(requests, 1)}


def run_size(topics: int, args) -> dict:
    url = database(topics, args.cache_dir)
    chosen = pick_pages(url)
    ref_port, forum_port = args.port, args.port + 1
    instance = tempfile.mkdtemp(prefix="ceiling-instance-")
    ref = start(gunicorn("ceiling_ref:app", ref_port, args.workers, ["--pythonpath", "bench"]),
                {"CEILING_DB": url, "CEILING_TOPIC": str(chosen["topic_id"])}, ref_port)
    forum = start(gunicorn("wsgi:app", forum_port, args.workers),
                  {"FORUM_DATABASE_URL": url, "FORUM_SECRET_KEY": "bench", "FORUM_RATELIMIT_ENABLED": "false",
                   "FORUM_INSTANCE_PATH": instance, "FORUM_SEARCH_INDEX_DIR": str(Path(instance) / "search")},
                  forum_port)
    try:
        base = f"http://127.0.0.1:{forum_port}"
        cookie = sign_in(base, chosen["member"])
        refs = [load(ref.pid, f"http://127.0.0.1:{ref_port}/", args.duration, args.connections, None)]
        rows = {}
        for name, path in chosen["pages"].items():
            rows[name] = {
                "visitor": load(forum.pid, base + path, args.duration, args.connections, None),
                "signed in": load(forum.pid, base + path, args.duration, args.connections, cookie),
            }
        refs.append(load(ref.pid, f"http://127.0.0.1:{ref_port}/", args.duration, args.connections, None))
    finally:
        for proc in (ref, forum):
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    reference = {"rps": sum(r["rps"] for r in refs) / 2, "cpu_ms": sum(r["cpu_ms"] for r in refs) / 2}
    return {"topics": topics, "reference": reference, "reference_runs": refs, "pages": rows, "paths": chosen["pages"]}


def table(result: dict) -> str:
    ref = result["reference"]
    lines = [
        f"### {result['topics']:,} topics / {result['topics'] * 10:,} posts",
        "",
        f"Reference (bare Flask + Jinja + SQLAlchemy, 20 rows with authors): {ref['rps']:.0f} req/s, "
        f"{ref['cpu_ms']:.2f} ms CPU per request (runs: "
        + ", ".join(f"{r['rps']:.0f} req/s {r['cpu_ms']:.2f} ms" for r in result["reference_runs"]) + ")",
        "",
        "| page | visitor req/s | % of ref | CPU ms/req | × ref | signed in req/s | % of ref | CPU ms/req | × ref "
        "| signed in ÷ visitor (CPU) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, roles in result["pages"].items():
        v, s = roles["visitor"], roles["signed in"]
        lines.append(
            f"| {name} | {v['rps']:.0f} | {100 * v['rps'] / ref['rps']:.0f}% | {v['cpu_ms']:.2f} | "
            f"{v['cpu_ms'] / ref['cpu_ms']:.1f}× | {s['rps']:.0f} | {100 * s['rps'] / ref['rps']:.0f}% | "
            f"{s['cpu_ms']:.2f} | {s['cpu_ms'] / ref['cpu_ms']:.1f}× | {s['cpu_ms'] / v['cpu_ms']:.2f}× |"
        )
    pages = list(result["pages"].values())
    names = list(result["pages"])

    def ratio(a: int, b: int) -> str:
        return " / ".join(f"{pages[a][r]['cpu_ms'] / pages[b][r]['cpu_ms']:.2f}×" for r in ("visitor", "signed in"))

    lines += ["", f"- {names[2]} ÷ {names[1]} (CPU, visitor / signed in): {ratio(2, 1)}",
              f"- {names[4]} ÷ {names[3]} (CPU, visitor / signed in): {ratio(4, 3)}"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,50000", help="topic counts, comma-separated")
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per page")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=5140, help="the reference app's port; the forum's is the next")
    parser.add_argument("--cache-dir", default="/tmp",  # noqa: S108 - kept between runs on purpose
                        help="where generated forums are kept between runs")
    parser.add_argument("--json", help="also write the raw figures to this file")
    args = parser.parse_args()
    results = [run_size(int(n), args) for n in args.sizes.split(",")]
    for result in results:
        print(table(result))
        print()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
