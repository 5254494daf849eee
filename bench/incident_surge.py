"""Incident surge load scenario, with and without the anonymous page cache.

    .venv/bin/python bench/incident_surge.py --db postgresql+psycopg://postgres@127.0.0.1/forum_bench \
        [--duration 20] [--workers 2] [--redis redis://127.0.0.1:6379/0]

For each mode (page cache on, then off) it:

1. builds a throw-away forum with ``bench/generate.py`` (the database is wiped) and
   opens an incident, as staff would;
2. signs members in (through the test client, same secret key) to get their session
   cookies and CSRF tokens;
3. starts gunicorn on 127.0.0.1 (a free port) with the app;
4. runs, at the same time and for ``--duration`` seconds, one wrk per page for
   anonymous readers (the incident page, the home page, /status) and one wrk with
   ``bench/incident_writes.lua`` where members press "I'm affected" (each once) and
   post new topics;
5. stops gunicorn and checks that every accepted write is stored: the rows added to
   ``affected_reports`` and ``topics`` equal the redirects wrk counted.

Only 127.0.0.1 is ever contacted. Prints a Markdown table and a JSON line per mode.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import build  # noqa: E402
from forum import create_app  # noqa: E402
from forum.extensions import db  # noqa: E402
from forum.incidents import services  # noqa: E402
from forum.models import AffectedReport, Category, Topic, User  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-incident-surge"  # noqa: S105 - a throw-away bench database
PASSWORD = "bench-password-123"  # noqa: S105 - generate.py's shared bench password
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, members: int) -> dict:
    """Fresh forum + open incident + signed-in member cookies. Returns ids and a members file."""
    build(url, topics=2000, posts=20000, users=max(200, members * 2), categories=8)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "RATELIMIT_ENABLED": False})
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.role == "staff").order_by(User.id))
        incident = services.open_incident(
            actor=staff, title="No 2G/3G service in parts of the UK", tags="2G, 3G", severity="critical",
            body="We know about it and are investigating. Next update in 30 minutes.",
        )
        db.session.commit()
        incident_id = incident.id
        category = db.session.scalar(select(Category.slug).order_by(Category.id))
        names = list(db.session.scalars(select(User.username).where(User.role == "member").order_by(User.id).limit(members)))
    lines = []
    for name in names:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = CSRF_RE.search(page).group(1)
        resp = client.post("/login", data={"login": name, "password": PASSWORD, "csrf_token": token})
        assert resp.status_code == 302, name
        page = client.get(f"/status/{incident_id}").get_data(as_text=True)
        token = CSRF_RE.search(page).group(1)
        lines.append(f"session={client.get_cookie('session').value}\t{token}")
    fd, path = tempfile.mkstemp(prefix="surge-members-", suffix=".tsv")
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    with app.app_context():
        db.engine.dispose()
    return {"incident_id": incident_id, "category": category, "members_file": path, "members": len(lines)}


def counts(url: str, incident_id: int) -> tuple[int, int]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})
    with app.app_context():
        affected = db.session.scalar(select(func.count(AffectedReport.id)).where(AffectedReport.incident_id == incident_id))
        topics = db.session.scalar(select(func.count(Topic.id)))
        db.engine.dispose()
    return affected, topics


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text).groups()
    return round(float(value) * _UNITS[unit], 2)


def parse_wrk(output: str) -> dict:
    result = {"requests_per_s": float(re.search(r"Requests/sec:\s+([0-9.]+)", output).group(1))}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", output, re.M)
        result[f"p{pct}_ms"] = _ms(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", output)
    result["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["errors"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", output)
    result["socket_errors"] = m.group(1).strip() if m else ""
    return result


def run_mode(url: str, *, cache: bool, args) -> dict:
    prep = prepare(url, args.members)
    before_affected, before_topics = counts(url, prep["incident_id"])
    port = _free_port()
    env = {
        **os.environ,
        "FORUM_DATABASE_URL": url,
        "FORUM_SECRET_KEY": SECRET,
        "FORUM_RATELIMIT_ENABLED": "false",
        "FORUM_INCIDENT_PAGE_CACHE": "true" if cache else "false",
        "FORUM_INSTANCE_PATH": tempfile.mkdtemp(prefix="surge-instance-"),
    }
    if args.redis:
        env["FORUM_REDIS_URL"] = args.redis
    gunicorn = subprocess.Popen(  # noqa: S603 - fixed argv, local only
        [str(ROOT / ".venv/bin/gunicorn"), "-w", str(args.workers), "-k", "gthread", "--threads", "4",
         "-b", f"127.0.0.1:{port}", "--log-level", "warning", "forum:create_app()"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()  # noqa: S310 - 127.0.0.1 only
                break
            except OSError:
                time.sleep(0.2)
        pages = {
            "incident": f"{base}/status/{prep['incident_id']}",
            "home": f"{base}/",
            "status": f"{base}/status",
        }
        duration = f"{args.duration}s"
        wrk = shutil.which("wrk") or "wrk"  # apt-get install wrk
        procs = {
            name: subprocess.Popen(  # noqa: S603
                [wrk, "-t1", f"-c{args.connections}", f"-d{duration}", "--timeout", "10s", "--latency", target],
                stdout=subprocess.PIPE, text=True,
            )
            for name, target in pages.items()
        }
        procs["writes"] = subprocess.Popen(  # noqa: S603
            [wrk, "-t2", "-c2", f"-d{duration}", "--timeout", "10s", "--latency", "-s",
             str(ROOT / "bench/incident_writes.lua"), base, "--", str(prep["incident_id"]), prep["category"]],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "WRK_MEMBERS": prep["members_file"], "WRK_THREADS": "2"},
        )
        outputs = {name: p.communicate()[0] for name, p in procs.items()}
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
        os.unlink(prep["members_file"])
    results = {name: parse_wrk(out) for name, out in outputs.items()}
    writes = json.loads(re.search(r"WRITES (\{.*\})", outputs["writes"]).group(1))
    after_affected, after_topics = counts(url, prep["incident_id"])
    results["check"] = {
        "affected_accepted": writes["affected_ok"],
        "affected_stored": after_affected - before_affected,
        "topics_accepted": writes["topics_ok"],
        "topics_stored": after_topics - before_topics,
        "refused": writes["other"],
    }
    # Every accepted write must be stored. wrk stops counting at the deadline, so the
    # requests still in flight then (at most one per write connection) may be stored
    # without having been counted; nothing else may differ.
    check = results["check"]
    in_flight = 2
    check["ok"] = (
        check["affected_accepted"] <= check["affected_stored"]
        and check["topics_accepted"] <= check["topics_stored"]
        and (check["affected_stored"] + check["topics_stored"]) - (check["affected_accepted"] + check["topics_accepted"])
        <= in_flight
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="a throw-away database: it is wiped")
    parser.add_argument("--duration", type=int, default=20, help="seconds per mode (bounded)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8, help="connections per read page")
    parser.add_argument("--members", type=int, default=120)
    parser.add_argument("--redis", help="FORUM_REDIS_URL for gunicorn (SimpleCache per worker otherwise)")
    args = parser.parse_args()
    if not 1 <= args.duration <= 120:
        parser.error("--duration must be 1..120 seconds")
    all_results = {}
    for cache in (True, False):
        mode = "cache on" if cache else "cache off"
        all_results[mode] = run_mode(args.db, cache=cache, args=args)
        print(json.dumps({"mode": mode, **all_results[mode]}), flush=True)
    print("\n| page | mode | req/s | p50 ms | p99 ms | non-2xx/3xx |\n|---|---|---|---|---|---|")
    for name in ("incident", "home", "status", "writes"):
        for mode, res in all_results.items():
            r = res[name]
            print(f"| {name} | {mode} | {r['requests_per_s']:.0f} | {r['p50_ms']} | {r['p99_ms']} | {r['errors']} |")
    for mode, res in all_results.items():
        print(f"{mode}: {res['check']}")


if __name__ == "__main__":
    main()
