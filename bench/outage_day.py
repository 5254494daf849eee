"""The outage day on this machine: a load balancer, two web hosts, one database, a
base hour and then a 30x surge, with a worker killed, the job worker killed and a host
restarted in the middle. Nothing accepted may be lost.

    .venv/bin/python bench/outage_day.py [--quick] [--modes both|plain|redis] [--topics 3000]

What it starts, on 127.0.0.1 only (ports --port-base .. +3, default 5130-5133):

* HAProxy (``bench/outage_haproxy.cfg``) on the front port: health checks on ``/healthz``,
  an ``X-Request-Start`` header, least-connections balancing, retries and redispatch; a
  log line per request (queue wait %Tw) that this script reads; stats on the last port;
* two gunicorn instances ("hosts") on their own ports, each with its own workers,
  sharing one PostgreSQL database (made here from a seeded template and dropped at exit)
  and the PostgreSQL search backend;
* Redis DB 3 as page cache and rate-limit store in the ``redis`` mode
  (``FORUM_REDIS_URL``), flushed before and after;
* one Celery worker, ``forum jobs worker`` with ``FORUM_BROKER_URL``, when the code has
  a job queue (``forum jobs`` exists); otherwise the after-commit work runs inside the
  request (the embedded mode), and the report says which it was.

The forum is generated with ``bench/generate.py`` (schema through the migrations),
reindexed for PostgreSQL search, given an open incident and members' and staff sessions
(signed in through the same code as ``/login``, without hashing a password each time;
staff two-factor is off for the bench: ``FORUM_STAFF_2FA_REQUIRED=false``). Rate limits
are off (every simulated visitor comes from 127.0.0.1). Mail goes to a file outbox.

The load is open-loop (requests are sent on a schedule, not when the previous one
came back; a request's latency counts from when it was due): anonymous reads of the
home page, /status, the incident and topics; searches; signed-in reads; "I'm affected";
new topics through the real form (a one-time submission token and the CSRF token read
from the page; some are deflected by the similar-topic suggestions); replies; and a
staff update every few seconds. Phases, in order: the base hour (compressed), the
surge at 30x with the three faults, then rate steps up from half the surge rate until
read p99 passes 500 ms. A write that gets no answer (a killed worker) is sent again
with the same token, as a member pressing the button again would.

At the end it counts what the database stored and what the outbox holds, and says
MISMATCH loudly when accepted, stored and mailed differ. Every process it started and
its databases are removed at exit, Ctrl-C included. Writes ``--out``.json and .md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HAPROXY_CFG = ROOT / "bench" / "outage_haproxy.cfg"
SECRET = "bench-outage-day"  # noqa: S105 - a throw-away bench database
REDIS_DEFAULT = "redis://127.0.0.1:6379/3"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432"
DB_NAME = "forum_outage_bench"
READ_P99_LIMIT_MS = 500.0
MAX_ERROR_SHARE = 0.01

# --------------------------------------------------------------------------------------
# Pure parts (tested in tests/test_outage_bench.py)
# --------------------------------------------------------------------------------------

#: The outage-day mix, in actions per 100. Reads first; the write actions are a
#: member's whole flow (open the form, post). Staff updates come on a clock instead.
MIX: dict[str, int] = {
    "home": 16,
    "status": 8,
    "incident": 22,
    "topic": 18,
    "search": 8,
    "member_read": 12,
    "affected": 8,
    "new_topic": 4,
    "reply": 4,
}
#: Routes whose latency counts as "read" for the p99 limit.
READ_ROUTES = frozenset({"GET /", "GET /status", "GET /status/<incident>", "GET /t/<id>", "GET /search",
                         "GET / (member)", "GET /t/<id> (member)", "GET /status/<incident> (member)"})
#: Share of new-topic flows where the member opens a suggested topic instead of posting.
DEFLECT_SHARE = 0.35


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile (``pct`` in 0..100) of ``values``; ``None`` when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil, at least the first
    return ordered[int(min(rank, len(ordered))) - 1]


class Mix:
    """Weighted, seeded choice of the next action."""

    def __init__(self, weights: dict[str, int], seed: int = 1):
        if not weights or any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise ValueError("weights must be non-negative with a positive total")
        self.names = [n for n, w in weights.items() if w > 0]
        self.weights = [weights[n] for n in self.names]
        self.rng = random.Random(seed)

    def pick(self) -> str:
        return self.rng.choices(self.names, self.weights)[0]

    def shares(self) -> dict[str, float]:
        total = sum(self.weights)
        return {n: w / total for n, w in zip(self.names, self.weights, strict=True)}


def surge_rates(base_rate: float, surge_factor: float, step_factors: list[float]) -> tuple[float, list[float]]:
    """The surge rate and the rates of the step-up phase (multiples of the surge rate),
    in increasing order."""
    surge = base_rate * surge_factor
    return surge, sorted(round(surge * f, 2) for f in step_factors)


def step_held(step: dict, limit_ms: float = READ_P99_LIMIT_MS, max_error_share: float = MAX_ERROR_SHARE) -> bool:
    """Whether a rate step was held: read p99 under the limit, few errors, and the
    client kept up (at least 90 % of the scheduled actions started)."""
    p99 = step.get("read_p99_ms")
    if p99 is None or p99 >= limit_ms:
        return False
    if step.get("requests", 0) and step.get("errors", 0) / step["requests"] > max_error_share:
        return False
    return step.get("started", 0) >= 0.9 * step.get("scheduled", 0)


def highest_held(steps: list[dict], **kw) -> float | None:
    """The highest rate of the consecutive held steps, from the lowest up."""
    best = None
    for step in sorted(steps, key=lambda s: s["rate"]):
        if not step_held(step, **kw):
            break
        best = step["rate"]
    return best


def account(accepted: dict[str, int], stored: dict[str, int], mail_expected: int, mailed: int) -> dict:
    """Compare what clients were told was accepted, what the database holds and what
    was mailed. Every kind must match exactly."""
    problems = []
    for kind in sorted(set(accepted) | set(stored)):
        a, s = accepted.get(kind, 0), stored.get(kind, 0)
        if a != s:
            problems.append(f"{kind}: {a} accepted but {s} stored")
    if mail_expected != mailed:
        problems.append(f"mail: {mail_expected} expected but {mailed} in the outbox")
    return {"accepted": accepted, "stored": stored, "mail_expected": mail_expected, "mailed": mailed,
            "ok": not problems, "problems": problems}


def summarise(samples: list[tuple[str, int, float]]) -> dict[str, dict]:
    """Per route: count, errors (status 0 or >= 500, or an unexpected 4xx), p50, p99."""
    by_route: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for route, status, ms in samples:
        by_route[route].append((status, ms))
    out = {}
    for route, rows in sorted(by_route.items()):
        lat = [ms for _, ms in rows]
        errors = [status for status, _ in rows if is_error(status)]
        out[route] = {"requests": len(rows), "errors": len(errors), "busy": sum(1 for st, _ in rows if st == BUSY),
                      "p50_ms": _r(percentile(lat, 50)),
                      "p99_ms": _r(percentile(lat, 99)),
                      "error_statuses": {str(k): errors.count(k) for k in sorted(set(errors))}}
    return out


#: The status recorded for a 503 "search is busy" answer with a Retry-After (stateless
#: hosts' overload protection): counted apart, not as an error.
BUSY = -503


def is_error(status: int) -> bool:
    """No answer (0), a 5xx, or a 4xx the bench never provokes on purpose. A 422 is a
    form's answer; :data:`BUSY` is a designed degradation."""
    return status == 0 or status >= 500 or status in (400, 403, 404, 405, 413, 429)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------

class Processes:
    """Every process this run started (each in its own process group), stopped at exit."""

    def __init__(self):
        self.procs: dict[str, subprocess.Popen] = {}
        self.closing = False
        self.lock = threading.Lock()

    def start(self, name: str, argv: list[str], env: dict, **kw) -> subprocess.Popen:
        with self.lock:  # a fault thread restarting a host must not outlive the clean-up
            if self.closing:
                raise RuntimeError("shutting down: not starting " + name)
            return self._start(name, argv, env, **kw)

    def _start(self, name: str, argv: list[str], env: dict, **kw) -> subprocess.Popen:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True, **kw)  # noqa: S603 - fixed argv
        self.procs[name] = proc
        return proc

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def stop_all(self) -> None:
        with self.lock:
            self.closing = True
        for name in list(self.procs):
            self.stop(name)


def children(pid: int) -> list[int]:
    """Direct child pids (gunicorn's workers), from /proc."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(p) for p in (task / "children").read_text().split()]
    return out


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pids) -> dict[int, float]:
    """User + system CPU seconds of each live pid (from /proc/<pid>/stat)."""
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
    return out


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two snapshots by the pids alive at the end (a pid born
    in between counts from zero; one that died in between is missed)."""
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def wait_http(url: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - 127.0.0.1 only
                if resp.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def has_job_queue(forum_bin: Path) -> bool:
    """Whether this code has the Celery job queue (``forum jobs``)."""
    try:
        out = subprocess.run([str(forum_bin), "--help"], capture_output=True, text=True, timeout=60,  # noqa: S603
                             env={**os.environ, "FORUM_DATABASE_URL": "sqlite://"}, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(re.search(r"^\s+jobs\s", out, re.M))


# --------------------------------------------------------------------------------------
# Databases and seed
# --------------------------------------------------------------------------------------

def _admin(pg: str, sql: str) -> None:
    import psycopg

    url = pg.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def create_db(pg: str, name: str, template: str | None = None) -> str:
    _admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if template:  # a template must have no connections (the seeding left pooled ones)
        _admin(pg, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                   f"WHERE datname = '{template}' AND pid <> pg_backend_pid()")
    _admin(pg, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return f"{pg}/{name}"


def drop_db(pg: str, name: str) -> None:
    with contextlib.suppress(Exception):
        _admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_INPUT_RE = re.compile(r"<input\b[^>]*>")
_ATTR_RE = re.compile(r'(\w[\w-]*)="([^"]*)"')


def hidden_fields(html: str) -> dict[str, str]:
    """Name -> value of the page's hidden inputs (the first of each name)."""
    out: dict[str, str] = {}
    for tag in _INPUT_RE.findall(html):
        attrs = dict(_ATTR_RE.findall(tag))
        if attrs.get("type") == "hidden" and "name" in attrs:
            out.setdefault(attrs["name"], attrs.get("value", "").replace("&#34;", '"').replace("&amp;", "&"))
    return out


def seed(url: str, *, topics: int, members: int, staff: int, env: dict) -> dict:
    """Generate the forum into ``url``, reindex search, open an incident and mint sessions."""
    from flask import session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf
    from sqlalchemy import func, select

    from bench.generate import build
    from forum import create_app
    from forum.accounts import sessions
    from forum.extensions import db
    from forum.incidents import services
    from forum.models import Category, Post, Topic, User

    t0 = time.perf_counter()
    built = build(url, topics=topics, posts=topics * 8, users=max(members + 300, 600), categories=8)
    subprocess.run([str(ROOT / ".venv/bin/forum"), "search", "reindex"], cwd=ROOT, env={**env, "FORUM_DATABASE_URL": url},  # noqa: S603
                   check=True, capture_output=True, timeout=600)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "RATELIMIT_ENABLED": False,
                      "STAFF_2FA_REQUIRED": False, "SEARCH_BACKEND": "postgresql",
                      "MAIL_OUTBOX": env["FORUM_MAIL_OUTBOX"]})
    serializer = app.session_interface.get_signing_serializer(app)
    out: dict = {"generated": built}
    with app.app_context():
        staff_users = list(db.session.scalars(select(User).where(User.role == "staff").order_by(User.id).limit(staff)))
        incident = services.open_incident(
            actor=staff_users[0], title="No 4G or calls in parts of Scotland and the North", tags="4G, calls",
            severity="critical", body="We know about it and are investigating. Next update in 30 minutes.",
        )
        db.session.commit()
        out["incident_id"] = incident.id
        out["categories"] = list(db.session.scalars(select(Category.slug).order_by(Category.id)))
        member_ids = list(db.session.scalars(select(User.id).where(User.role == "member").order_by(User.id).limit(members)))
        out["topic_authors"] = {tid: aid for tid, aid in db.session.execute(select(Topic.id, Topic.author_id))}
        out["max_topic_id"] = db.session.scalar(select(func.max(Topic.id)))
        out["max_post_id"] = db.session.scalar(select(func.max(Post.id)))
        staff_ids = [u.id for u in staff_users]
    cookie_name = app.config["SESSION_COOKIE_NAME"]

    def mint(user_id: int) -> dict:
        with app.test_request_context("/", headers={"User-Agent": "outage-bench"}):
            user = db.session.get(User, user_id)
            sessions.start_session(user, remember=False)
            db.session.commit()
            login_user(user)
            csrf = generate_csrf()
            cookie = serializer.dumps(dict(session))
        return {"id": user_id, "cookie": f"{cookie_name}={cookie}", "csrf": csrf}

    out["members"] = [mint(uid) for uid in member_ids]
    out["staff"] = [mint(uid) for uid in staff_ids]
    with app.app_context():
        db.engine.dispose()
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def stored_counts(url: str, prep: dict) -> dict:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    q = {
        "new_topic": "SELECT count(*) FROM topics WHERE id > :t",
        "reply": "SELECT count(*) FROM posts WHERE id > :p AND NOT is_first",
        "affected": "SELECT count(*) FROM affected_reports WHERE incident_id = :i",
        "staff_update": "SELECT count(*) - 1 FROM incident_updates WHERE incident_id = :i",
        # One reply per seeded topic, never by its author: each tells the author once.
        "mail_expected": ("SELECT count(DISTINCT p.topic_id) FROM posts p JOIN topics t ON t.id = p.topic_id "
                          "WHERE p.id > :p AND NOT p.is_first AND t.author_id <> p.author_id"),
        "notifications_emailed": "SELECT count(*) FROM notifications WHERE emailed_at IS NOT NULL",
        "notifications": "SELECT count(*) FROM notifications",
    }
    params = {"t": prep["max_topic_id"], "p": prep["max_post_id"], "i": prep["incident_id"]}
    with engine.connect() as conn:
        result = {k: conn.execute(text(sql), params).scalar() for k, sql in q.items()}
        with contextlib.suppress(Exception):
            result["search_outbox_left"] = conn.execute(text("SELECT count(*) FROM search_outbox")).scalar()
    engine.dispose()
    return result


# --------------------------------------------------------------------------------------
# Load
# --------------------------------------------------------------------------------------

@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    samples: list[tuple[str, str, int, float, float]] = field(default_factory=list)  # phase, route, status, ms, t
    accepted: dict[str, set] = field(default_factory=lambda: defaultdict(set))
    deflected: int = 0
    gave_up: int = 0
    resent: int = 0
    scheduled: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    started: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, phase: str, route: str, status: int, ms: float) -> None:
        with self.lock:
            self.samples.append((phase, route, status, ms, time.time()))


class Client:
    """One keep-alive connection per thread to the load balancer. A connection left idle
    longer than :attr:`IDLE_SECONDS` is replaced before use, as browsers do: HAProxy
    closes idle keep-alive connections (``timeout http-keep-alive``), and a request
    written into a closed one would count as a failure the site never saw."""

    IDLE_SECONDS = 4.0

    def __init__(self, port: int):
        self.port = port
        self.local = threading.local()

    def request(self, method: str, path: str, *, cookie: str | None = None, form: dict | None = None,
                timeout: float = 15) -> tuple[int, dict, str]:
        conn = getattr(self.local, "conn", None)
        if conn is not None and time.monotonic() - getattr(self.local, "used", 0) > self.IDLE_SECONDS:
            conn.close()
            conn = None
        self.local.used = time.monotonic()
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"User-Agent": "outage-bench", "Accept": "text/html"}
        if cookie:
            headers["Cookie"] = cookie
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            if hdrs.get("connection", "").lower() == "close":
                conn.close()
                self.local.conn = None
            self.local.used = time.monotonic()
            return resp.status, hdrs, text
        except (OSError, http.client.HTTPException):
            conn.close()
            self.local.conn = None
            return 0, {}, ""


class Load:
    """The actions of the mix, against the load balancer."""

    WORDS = ("no signal", "4G down", "calls dropping", "roaming", "voicemail", "refund outage", "esim",
             "wifi calling", "broadband slow", "data not working", "glasgow mast", "leeds coverage")

    def __init__(self, prep: dict, client: Client, stats: Stats, seed_: int = 7):
        self.prep, self.client, self.stats = prep, client, stats
        self.iid = prep["incident_id"]
        self.rng = random.Random(seed_)
        self.rng_lock = threading.Lock()
        self.topic_ids = sorted(prep["topic_authors"])
        reply_pool = self.topic_ids[1:]  # not the mega thread: its page is the slowest of all
        random.Random(seed_).shuffle(reply_pool)
        self.reply_pool = reply_pool
        members = list(prep["members"])
        random.Random(seed_ + 1).shuffle(members)
        self.unpressed = members  # members who have not pressed "I'm affected" yet
        self.seq = 0
        self.local = threading.local()  # .phase: the phase the running action was scheduled in

    @property
    def phase(self) -> str:
        return getattr(self.local, "phase", "base")

    def _pick(self, seq):
        with self.rng_lock:
            return self.rng.choice(seq)

    def _next(self) -> int:
        with self.rng_lock:
            self.seq += 1
            return self.seq

    def get(self, route: str, path: str, cookie: str | None = None, due: float | None = None) -> tuple[int, dict, str]:
        t0 = due if due is not None else time.perf_counter()
        status, hdrs, text = self.client.request("GET", path, cookie=cookie)
        shown = status
        if status == 503 and "retry-after" in hdrs and route.startswith("GET /search"):
            shown = BUSY  # "search is busy, try again in a minute": overload protection, not a failure
        self.stats.add(self.phase, route, shown, (time.perf_counter() - t0) * 1000)
        return status, hdrs, text

    def post(self, route: str, path: str, member: dict, form: dict, ok: re.Pattern, kind: str, key,
             attempts: int = 5) -> bool:
        """Post, and post again (same form, same token) while there is no answer or a 5xx,
        as a member would. Accepted when the answer redirects where ``ok`` says."""
        for attempt in range(attempts):
            t0 = time.perf_counter()
            status, hdrs, _ = self.client.request("POST", path, cookie=member["cookie"],
                                                  form={"csrf_token": member["csrf"], **form})
            self.stats.add(self.phase, route, status, (time.perf_counter() - t0) * 1000)
            if status in (302, 303) and ok.search(hdrs.get("location", "")):
                with self.stats.lock:
                    self.stats.accepted[kind].add(key)
                    self.stats.resent += attempt > 0
                return True
            if status and status < 500:
                return False  # refused (a 4xx or a redirect elsewhere): not accepted
            time.sleep(0.3 * (attempt + 1))
        with self.stats.lock:
            self.stats.gave_up += 1
        return False

    # --- the actions -------------------------------------------------------------------
    def home(self, due):
        self.get("GET /", "/", due=due)

    def status(self, due):
        self.get("GET /status", "/status", due=due)

    def incident(self, due):
        self.get("GET /status/<incident>", f"/status/{self.iid}", due=due)

    def topic(self, due):
        self.get("GET /t/<id>", f"/t/{self._pick(self.topic_ids)}", due=due)

    def search(self, due):
        q = urllib.parse.quote_plus(self._pick(self.WORDS))
        self.get("GET /search", f"/search?q={q}", due=due)

    def member_read(self, due):
        member = self._pick(self.prep["members"])
        if self._next() % 3 == 0:
            self.get("GET / (member)", "/", cookie=member["cookie"], due=due)
        else:
            self.get("GET /t/<id> (member)", f"/t/{self._pick(self.topic_ids)}", cookie=member["cookie"], due=due)

    def affected(self, due):
        with self.rng_lock:
            member = self.unpressed.pop() if self.unpressed else self.rng.choice(self.prep["members"])
        self.get("GET /status/<incident> (member)", f"/status/{self.iid}", cookie=member["cookie"], due=due)
        area = self._pick(["scotland", "north-east", "north-west", ""])
        self.post("POST /status/<incident>/affected", f"/status/{self.iid}/affected", member, {"area": area},
                  re.compile(rf"/status/{self.iid}(?:$|[?#])"), "affected", member["id"])

    def new_topic(self, due):
        member = self._pick(self.prep["members"])
        slug = self._pick(self.prep["categories"])
        status, _, html = self.get("GET /c/<board>/new", f"/c/{slug}/new", cookie=member["cookie"], due=due)
        token = hidden_fields(html).get("submission_token") if status == 200 else None
        if not token:
            return
        n = self._next()
        title = f"{self._pick(self.WORDS).capitalize()} since this morning near {self._pick(('Leeds', 'Glasgow', 'Hull'))} #{n}"
        status, _, body = self.get("GET /search/similar", "/search/similar?title=" + urllib.parse.quote_plus(title),
                                   cookie=member["cookie"])
        results = []
        with contextlib.suppress(ValueError):
            results = json.loads(body).get("results", []) if status == 200 else []
        if results and self.rng.random() < DEFLECT_SHARE:
            target = re.search(r"/t/(\d+)", str(results[0].get("url", "")))
            if target:
                t0 = time.perf_counter()
                st, _, _ = self.client.request("POST", f"/search/open/{target.group(1)}", cookie=member["cookie"],
                                               form={"csrf_token": member["csrf"]})
                self.stats.add(self.phase, "POST /search/open/<id>", st, (time.perf_counter() - t0) * 1000)
                with self.stats.lock:
                    self.stats.deflected += 1
                return
        form = {"submission_token": token, "title": title,
                "body": "No data and calls drop since this morning. Restarted the phone twice, still nothing."}
        self.post("POST /c/<board>/new", f"/c/{slug}/new", member, form, re.compile(r"/t/\d+"), "new_topic", token)

    def reply(self, due):
        with self.rng_lock:
            if not self.reply_pool:
                return
            tid = self.reply_pool.pop()
        author = self.prep["topic_authors"][tid]
        member = self._pick([m for m in self.prep["members"][:50] if m["id"] != author])
        status, _, html = self.get("GET /t/<id>/reply", f"/t/{tid}/reply", cookie=member["cookie"], due=due)
        token = hidden_fields(html).get("submission_token") if status == 200 else None
        if not token:
            return
        form = {"submission_token": token, "body": "Same here since about 9am, no 4G at all. Any news?"}
        self.post("POST /t/<id>/reply", f"/t/{tid}/reply", member, form, re.compile(r"/(?:p|t)/\d+"), "reply", token)

    def staff_update(self, due):
        staff = self._pick(self.prep["staff"])
        status, _, html = self.get("GET /status/<incident> (staff)", f"/status/{self.iid}", cookie=staff["cookie"], due=due)
        token = hidden_fields(html).get("submission_token") if status == 200 else None
        if not token:
            return
        n = self._next()
        form = {"submission_token": token, "state": "identified",
                "body": f"Engineers are on site at the affected masts. Update {n}: next one in 15 minutes."}
        self.post("POST /status/<incident>/updates", f"/status/{self.iid}/updates", staff, form,
                  re.compile(rf"/status/{self.iid}(?:$|[?#])"), "staff_update", token)


class Driver:
    """Open-loop schedule: ``rate`` actions a second from the mix, plus a staff update
    every ``staff_every`` seconds, run by a pool of client threads."""

    def __init__(self, load: Load, mix: Mix, threads: int, staff_every: float):
        self.load, self.mix, self.staff_every = load, mix, staff_every
        self.q: queue.Queue = queue.Queue()
        self.active = 0
        self.threads = [threading.Thread(target=self._work, daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def _work(self):
        while True:
            item = self.q.get()
            if item is None:
                return
            phase, name, due = item
            stats = self.load.stats
            if time.perf_counter() - due > 10:  # too late to mean anything: counted, not sent
                with stats.lock:
                    stats.skipped[phase] += 1
                continue
            with stats.lock:
                stats.started[phase] += 1
                self.active += 1
            self.load.local.phase = phase
            try:
                getattr(self.load, name)(due)
            except Exception as exc:  # a bench bug must not stop the schedule
                print(f"action {name} failed: {exc!r}", file=sys.stderr)
            finally:
                with stats.lock:
                    self.active -= 1

    def run_phase(self, phase: str, rate: float, seconds: float, events: list[tuple[float, callable]] = ()) -> None:
        start = time.perf_counter()
        n = 0
        next_staff = start + self.staff_every / 2
        pending = sorted(events, key=lambda e: e[0])
        running = []
        while True:
            now = time.perf_counter()
            if now - start >= seconds:
                break
            while pending and now - start >= pending[0][0]:
                _, fn = pending.pop(0)
                running.append(threading.Thread(target=fn, daemon=True))
                running[-1].start()
            due = start + n / rate
            if due <= now:
                self.q.put((phase, self.mix.pick(), due))
                with self.load.stats.lock:
                    self.load.stats.scheduled[phase] += 1
                n += 1
                continue
            if next_staff <= now:
                self.q.put((phase, "staff_update", next_staff))
                with self.load.stats.lock:
                    self.load.stats.scheduled[phase] += 1
                next_staff += self.staff_every
            time.sleep(min(due, next_staff) - now if min(due, next_staff) > now else 0)
        for t in running:  # a fault still under way (a host starting again) ends first
            t.join(timeout=90)

    def drain(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while (not self.q.empty() or self.active) and time.monotonic() < deadline:
            time.sleep(0.2)

    def stop(self):
        for _ in self.threads:
            self.q.put(None)
        for t in self.threads:
            t.join(timeout=30)


class HaproxyLog:
    """HAProxy's per-request log lines (see the log-format in the config). HAProxy's
    output goes to a regular file: a pipe that is not read at once drops log lines."""

    LINE = re.compile(r"REQ (\d+)\.(\d+) (-?\d+) (-?\d+) (-?\d+) (-?\d+) (\d+) (\S+)/(\S+) (\S+) (\S+) (\S+)")

    def __init__(self, lines=()):
        self.rows: list[tuple[float, int, int, str, str]] = []  # accepted at, Tw, Ta, server, status
        self.read(lines)

    def read(self, lines) -> None:
        for line in lines:
            m = self.LINE.search(line)
            if m:
                self.rows.append((int(m.group(1)) + int(m.group(2)) / 1000, int(m.group(3)), int(m.group(6)),
                                  m.group(9), m.group(7)))

    @classmethod
    def from_file(cls, path: Path) -> HaproxyLog:
        with open(path, errors="replace") as fh:
            return cls(fh)

    def between(self, t0: float, t1: float) -> dict:
        rows = [r for r in self.rows if t0 <= r[0] < t1]
        waits = [r[1] for r in rows if r[1] >= 0]
        by_server: dict[str, int] = defaultdict(int)
        for r in rows:
            by_server[r[3]] += 1
        return {"requests": len(rows), "queue_p50_ms": percentile(waits, 50), "queue_p99_ms": percentile(waits, 99),
                "by_server": dict(by_server)}


# --------------------------------------------------------------------------------------
# One mode
# --------------------------------------------------------------------------------------

@dataclass
class Plan:
    base_rate: float
    surge_factor: float
    base_seconds: float
    surge_seconds: float
    step_seconds: float
    step_factors: list[float]
    staff_every: float


PLANS = {
    "quick": Plan(base_rate=1.0, surge_factor=30, base_seconds=6, surge_seconds=20, step_seconds=6,
                  step_factors=[0.15, 0.3, 0.6, 1.0], staff_every=5),
    "default": Plan(base_rate=1.0, surge_factor=30, base_seconds=25, surge_seconds=75, step_seconds=12,
                    step_factors=[0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0], staff_every=8),
}


def host_env(args, url: str, outbox: Path, instance: Path, redis: bool, jobs: bool) -> dict:
    env = {
        **os.environ,
        "FORUM_DATABASE_URL": url,
        "FORUM_SECRET_KEY": SECRET,
        "FORUM_RATELIMIT_ENABLED": "false",
        "FORUM_STAFF_2FA_REQUIRED": "false",
        "FORUM_SEARCH_BACKEND": "postgresql",
        "FORUM_MAIL_OUTBOX": str(outbox),
        "FORUM_INSTANCE_PATH": str(instance),
        "FORUM_SITE_URL": f"http://127.0.0.1:{args.port_base}",
        "FORUM_WORKERS": str(args.workers * 2),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("FORUM_REDIS_URL", None)
    env.pop("FORUM_BROKER_URL", None)
    if redis:
        env["FORUM_REDIS_URL"] = args.redis_url
    if jobs:
        env["FORUM_BROKER_URL"] = args.broker_url
        env["FORUM_JOBS_QUEUE"] = "outage_jobs"  # this branch's queue names
    return env


def flush_redis(url: str) -> None:
    import redis as redis_lib

    client = redis_lib.Redis.from_url(url)
    client.flushdb()
    client.close()


def redis_memory(url: str) -> dict:
    import redis as redis_lib

    client = redis_lib.Redis.from_url(url)
    info = client.info("memory")
    keys = client.dbsize()
    client.close()
    return {"used_memory_human": info.get("used_memory_human"), "keys_in_db": keys}


def haproxy_stats(port: int) -> list[dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/;csv", timeout=5) as resp:  # noqa: S310
            text = resp.read().decode()
    except OSError:
        return []
    lines = text.lstrip("# ").splitlines()
    head = lines[0].split(",")
    keep = ("pxname", "svname", "status", "stot", "hrsp_5xx", "wretr", "wredis", "chkdown", "downtime", "qmax",
            "qtime", "rtime")
    rows = [dict(zip(head, line.split(","), strict=False)) for line in lines[1:] if line]
    return [{k: r.get(k) for k in keep} for r in rows if r.get("pxname") == "hosts"]


def run_mode(args, prep: dict, template: str, mode: str, jobs: bool, tmp: Path, procs: Processes, plan: Plan) -> dict:
    redis = mode == "redis"
    url = create_db(args.pg, f"{DB_NAME}_run", template=template)
    outbox = tmp / f"outbox-{mode}"
    outbox.mkdir()
    instance = tmp / f"instance-{mode}"
    instance.mkdir()
    if redis or jobs:
        flush_redis(args.redis_url)
    env = host_env(args, url, outbox, instance, redis, jobs)
    front, h1, h2, stats_port = (args.port_base + i for i in range(4))
    gunicorn = str(ROOT / ".venv/bin/gunicorn")

    def start_host(name: str, port: int):
        return procs.start(name, [gunicorn, "-w", str(args.workers), "-k", "gthread", "--threads", str(args.threads),
                                  "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--graceful-timeout", "10",
                                  *(["--no-control-socket"] if args.no_control_socket else []),
                                  "forum:create_app()"], env)

    def start_worker():
        return procs.start("celery", [str(ROOT / ".venv/bin/forum"), "jobs", "worker", "--concurrency=2",
                                      "--loglevel=WARNING"], env, stdout=subprocess.DEVNULL)

    start_host("host1", h1)
    start_host("host2", h2)
    if jobs:
        start_worker()
        # Beat sweeps the job outbox (what a crash left behind) every minute; one per site.
        procs.start("beat", [str(ROOT / ".venv/bin/forum"), "jobs", "beat", "--loglevel=WARNING",
                             f"--schedule={tmp / f'beat-{mode}'}"], env, stdout=subprocess.DEVNULL)
    hap_env = {**os.environ, "FRONT_ADDR": f"127.0.0.1:{front}", "HOST1_ADDR": f"127.0.0.1:{h1}",
               "HOST2_ADDR": f"127.0.0.1:{h2}", "STATS_ADDR": f"127.0.0.1:{stats_port}",
               "HOST_MAXCONN": str(args.workers * args.threads)}
    hap_log = tmp / f"haproxy-{mode}.log"
    with open(hap_log, "w") as fh:
        procs.start("haproxy", [shutil.which("haproxy") or "haproxy", "-db", "-f", str(HAPROXY_CFG)], hap_env,
                    stdout=fh, stderr=subprocess.STDOUT)
    for port in (h1, h2, front):
        if not wait_http(f"http://127.0.0.1:{port}/healthz", 90):
            raise RuntimeError(f"nothing answers on 127.0.0.1:{port}")
    time.sleep(2.5)  # both hosts marked up by the health checks
    probe = urllib.request.urlopen(f"http://127.0.0.1:{front}/", timeout=10)  # noqa: S310
    detected = {"anonymous_home_cache_control": probe.headers.get("Cache-Control"),
                "anonymous_home_sets_cookie": probe.headers.get("Set-Cookie") is not None}
    probe.read()

    def warm():  # each worker renders each kind of page before anything is measured
        client = Client(front)
        member = prep["members"][0]["cookie"]
        for _ in range(3 * args.workers):
            for path, cookie in (("/", None), ("/status", None), (f"/status/{prep['incident_id']}", None),
                                 (f"/t/{prep['max_topic_id']}", None), ("/search?q=signal", None), ("/", member),
                                 (f"/t/{prep['max_topic_id']}", member), (f"/c/{prep['categories'][0]}/new", member)):
                client.request("GET", path, cookie=cookie)

    warm()
    stats = Stats()
    load = Load(prep, Client(front), stats)
    driver = Driver(load, Mix(MIX, seed=11), threads=args.client_threads, staff_every=plan.staff_every)
    events_log: list[dict] = []

    def note(what: str, **kw):
        events_log.append({"t": round(time.time() - t_start, 1), "event": what, **kw})
        print(f"  [{mode}] {what} {kw if kw else ''}", flush=True)

    def kill_worker():
        pids = children(procs.procs["host1"].pid)
        if pids:
            os.kill(pids[0], signal.SIGKILL)
        note("SIGKILL one gunicorn worker of host1", pid=pids[0] if pids else None)

    def kill_celery():
        if not jobs:
            note("Celery worker kill skipped: no job queue in this code (embedded mode)")
            return
        procs.stop("celery", sig=signal.SIGKILL)
        note("SIGKILL the Celery worker")
        time.sleep(2)
        start_worker()
        note("Celery worker restarted")

    def restart_host():
        t0 = time.perf_counter()
        procs.stop("host2", sig=signal.SIGTERM)
        note("host2 stopped (SIGTERM)")
        time.sleep(1)
        start_host("host2", h2)
        ok = wait_http(f"http://127.0.0.1:{h2}/healthz", 60)
        note("host2 started again", answers=ok, seconds=round(time.perf_counter() - t0, 1))

    surge, steps = surge_rates(plan.base_rate, plan.surge_factor, plan.step_factors)
    t_start = time.time()
    load_before = os.getloadavg()
    phases: list[dict] = []

    def our_pids() -> tuple[list[int], list[int]]:
        """The web hosts' processes, and the PostgreSQL backends serving this database."""
        web = []
        for name in ("host1", "host2"):
            proc = procs.procs.get(name)
            if proc is not None:
                web += [proc.pid, *children(proc.pid)]
        db_pids = []
        with contextlib.suppress(Exception):
            import psycopg

            with psycopg.connect(args.pg.replace("postgresql+psycopg://", "postgresql://") + "/postgres") as conn:
                db_pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                                                      (f"{DB_NAME}_run",))]
        return web, db_pids

    def phase(name, rate, seconds, events=()):
        web, dbp = our_pids()
        cpu0 = (cpu_seconds(web), cpu_seconds(dbp))
        t0 = time.time()
        print(f"  [{mode}] {name}: {rate:g} actions/s for {seconds:g}s", flush=True)
        driver.run_phase(name, rate, seconds, events)
        t1 = time.time()
        web, dbp = our_pids()
        phases.append({"phase": name, "rate": rate, "t0": t0, "t1": t1,
                       "cpu_web_s": round(cpu_used(cpu0[0], cpu_seconds(web)), 2),
                       "cpu_db_s": round(cpu_used(cpu0[1], cpu_seconds(dbp)), 2)})

    try:
        phase("base", plan.base_rate, plan.base_seconds)
        s = plan.surge_seconds
        phase("surge", surge, s, [(0.2 * s, kill_worker), (0.35 * s, kill_celery), (0.5 * s, restart_host)])
        driver.drain(20)
        warm()  # the restarted host's workers are new: the steps measure capacity, not a cold start
        for rate in steps:
            name = f"step {rate:g}/s"
            phase(name, rate, plan.step_seconds)
            time.sleep(1)
            summary = _phase_summary(stats, name)
            if not step_held({**summary, "rate": rate}):
                print(f"  [{mode}] {name} not held (read p99 {summary['read_p99_ms']} ms): stopping the steps",
                      flush=True)
                break
        driver.drain(30)
        time.sleep(1)
    finally:
        driver.stop()

    # Mail: in the embedded mode it is written before the answer; with a job queue, wait for it.
    counts = stored_counts(url, prep)
    t_wait = time.perf_counter()
    mailed = len(list(outbox.glob("*.eml")))
    while jobs and mailed < counts["mail_expected"] and time.perf_counter() - t_wait < args.outbox_wait:
        time.sleep(1)
        mailed = len(list(outbox.glob("*.eml")))
    outbox_lag = round(time.perf_counter() - t_wait, 1)
    counts = stored_counts(url, prep)
    accepted = {k: len(v) for k, v in stats.accepted.items()}
    for kind in ("affected", "new_topic", "reply", "staff_update"):
        accepted.setdefault(kind, 0)
    stored = {k: counts[k] for k in ("affected", "new_topic", "reply", "staff_update")}
    check = account(accepted, stored, counts["mail_expected"], mailed)
    check.update(notifications_emailed=counts["notifications_emailed"], notifications=counts["notifications"],
                 deflected=stats.deflected, resent=stats.resent, gave_up=stats.gave_up,
                 outbox_wait_s=outbox_lag if jobs else 0.0, search_outbox_left=counts.get("search_outbox_left"))

    hlog = HaproxyLog.from_file(hap_log)
    result = {
        "mode": mode,
        "job_queue": "celery" if jobs else "embedded (after commit, in the request)",
        "shared_state": "redis" if redis else "per process",
        "detected": detected,
        "events": events_log,
        "phases": [],
        "check": check,
        "haproxy": haproxy_stats(stats_port),
        "haproxy_5xx_lines": [line.strip() for line in hap_log.read_text(errors="replace").splitlines()
                              if re.search(r"^REQ \S+ \S+ \S+ \S+ \S+ 5\d\d ", line)][:40],
        "load_average": {"before": [round(x, 1) for x in load_before], "after": [round(x, 1) for x in os.getloadavg()]},
    }
    if redis:
        with contextlib.suppress(Exception):
            result["redis"] = redis_memory(args.redis_url)
    for ph in phases:
        summary = _phase_summary(stats, ph["phase"])
        started = summary["started"] or 1
        result["phases"].append({**{k: ph[k] for k in ("phase", "rate", "cpu_web_s", "cpu_db_s")}, **summary,
                                 "cpu_ms_per_action": {"web": round(1000 * ph["cpu_web_s"] / started, 1),
                                                       "db": round(1000 * ph["cpu_db_s"] / started, 1)},
                                 "seconds": round(ph["t1"] - ph["t0"], 1),
                                 "lb": hlog.between(ph["t0"], ph["t1"] + 0.5)})
    step_rows = [p for p in result["phases"] if p["phase"].startswith("step")]
    result["highest_rate_held"] = highest_held(step_rows)
    result["surge_held"] = step_held(next(p for p in result["phases"] if p["phase"] == "surge"))
    result["routes"] = {ph: summarise([(r, st, ms) for p, r, st, ms, _ in stats.samples if p == ph])
                        for ph in ("base", "surge")}
    for name in ("haproxy", "host1", "host2", "celery", "beat"):
        procs.stop(name)
    if redis or jobs:
        with contextlib.suppress(Exception):
            flush_redis(args.redis_url)
    drop_db(args.pg, f"{DB_NAME}_run")
    return result


def _phase_summary(stats: Stats, phase: str) -> dict:
    with stats.lock:
        rows = [(r, st, ms) for p, r, st, ms, _ in stats.samples if p == phase]
        scheduled, started, skipped = stats.scheduled[phase], stats.started[phase], stats.skipped[phase]
    reads = [ms for r, _, ms in rows if r in READ_ROUTES]
    writes = [ms for r, _, ms in rows if r.startswith("POST")]
    errors = sum(1 for _, st, _ in rows if is_error(st))
    return {"requests": len(rows), "errors": errors, "scheduled": scheduled, "started": started,
            "skipped": skipped, "read_p50_ms": _r(percentile(reads, 50)), "read_p99_ms": _r(percentile(reads, 99)),
            "write_p99_ms": _r(percentile(writes, 99))}


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------

def markdown(report: dict) -> str:
    lines = [f"# Outage day bench ({report['plan']})", "",
             f"Machine: {report['machine']['cpus']} CPU cores (shared with everything else running), "
             f"{report['machine']['hosts']} gunicorn hosts x {report['machine']['workers']} workers x "
             f"{report['machine']['threads']} threads, PostgreSQL search, HAProxy {report['machine']['haproxy']}. "
             f"Seed: {report['seed']['topics']} topics, {report['seed']['members']} signed-in members.", ""]
    for res in report["modes"]:
        lines += [f"## Mode: {res['mode']}", "",
                  f"- job queue: {res['job_queue']}; shared state: {res['shared_state']}; "
                  f"anonymous home Cache-Control: `{res['detected']['anonymous_home_cache_control']}`, "
                  f"sets a cookie: {res['detected']['anonymous_home_sets_cookie']}",
                  f"- surge (30x) held with read p99 < 500 ms: **{res['surge_held']}**; "
                  f"highest step rate held: **{res['highest_rate_held']} actions/s**",
                  f"- load average (1, 5, 15 min) before {res['load_average']['before']}, after "
                  f"{res['load_average']['after']}", ""]
        lines += ["| phase | actions/s | requests | errors | read p50 ms | read p99 ms | write p99 ms | LB queue p99 ms | by host | CPU ms/action web + db |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for p in res["phases"]:
            lines.append(f"| {p['phase']} | {p['rate']:g} | {p['requests']} | {p['errors']} | {p['read_p50_ms']} | "
                         f"{p['read_p99_ms']} | {p['write_p99_ms']} | {p['lb']['queue_p99_ms']} | "
                         f"{', '.join(f'{k} {v}' for k, v in sorted(p['lb']['by_server'].items()))} | "
                         f"{p['cpu_ms_per_action']['web']} + {p['cpu_ms_per_action']['db']} |")
        lines += ["", "| route (surge) | requests | errors (status: count) | p50 ms | p99 ms |", "|---|---|---|---|---|"]
        for route, r in res["routes"]["surge"].items():
            errs = f"{r['errors']}" + (f" ({', '.join(f'{k}: {v}' for k, v in r['error_statuses'].items())})"
                                       if r["errors"] else "") + (f", {r['busy']} busy" if r["busy"] else "")
            lines.append(f"| {route} | {r['requests']} | {errs} | {r['p50_ms']} | {r['p99_ms']} |")
        c = res["check"]
        lines += ["", "| writes | accepted | stored |", "|---|---|---|"]
        for kind in sorted(c["accepted"]):
            lines.append(f"| {kind} | {c['accepted'][kind]} | {c['stored'].get(kind)} |")
        lines += ["", f"Mail: {c['mail_expected']} expected (one per reply), {c['notifications_emailed']} notifications "
                  f"marked emailed, {c['mailed']} files in the outbox. Deflected new topics: {c['deflected']}. "
                  f"Posts sent again after no answer: {c['resent']}; given up: {c['gave_up']}.", "",
                  ("**Accounting: OK, everything accepted is stored and mailed.**" if c["ok"] else
                   "**MISMATCH: " + "; ".join(c["problems"]) + "**"), "", "Events:", ""]
        lines += [f"- t+{e['t']}s {e['event']}" for e in res["events"]]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="about 2 minutes in all")
    parser.add_argument("--modes", choices=("both", "plain", "redis"), default="both",
                        help="without Redis, with Redis (FORUM_REDIS_URL), or both (default)")
    parser.add_argument("--redis", action="store_true", help="only the Redis mode (same as --modes redis)")
    parser.add_argument("--redis-url", default=REDIS_DEFAULT)
    parser.add_argument("--broker-url", default=REDIS_DEFAULT, help="FORUM_BROKER_URL when there is a job queue")
    parser.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL server (no database name)")
    parser.add_argument("--topics", type=int, help="generated topics (default 3000, quick 1000)")
    parser.add_argument("--members", type=int, help="signed-in members (default 1500, quick 500)")
    parser.add_argument("--base-rate", type=float, help="actions/s in the base hour (surge is 30x)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per host")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--client-threads", type=int, default=48)
    parser.add_argument("--port-base", type=int, default=5130)
    parser.add_argument("--outbox-wait", type=float, default=120,
                        help="seconds to wait for the job queue to mail everything after the load")
    parser.add_argument("--control-socket", dest="no_control_socket", action="store_false",
                        help="keep gunicorn's control socket (off by default: two instances would share its path)")
    parser.add_argument("--out", default="outage_day", help="writes OUT.json and OUT.md (default: in the current folder)")
    args = parser.parse_args(argv)
    if args.redis:
        args.modes = "redis"
    plan_name = "quick" if args.quick else "default"
    plan = PLANS[plan_name]
    if args.base_rate:
        plan.base_rate = args.base_rate
    topics = args.topics or (1000 if args.quick else 3000)
    members = args.members or (500 if args.quick else 1500)
    if not shutil.which("haproxy"):
        parser.error("HAProxy is needed: apt-get install haproxy")

    procs = Processes()
    tmp = Path(tempfile.mkdtemp(prefix="outage-day-"))
    template = f"{DB_NAME}_seed"

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    jobs = has_job_queue(ROOT / ".venv/bin/forum")
    report: dict = {"plan": plan_name, "modes": [], "mix": MIX,
                    "machine": {"cpus": os.cpu_count(), "hosts": 2, "workers": args.workers, "threads": args.threads,
                                "haproxy": subprocess.run(["haproxy", "-v"], capture_output=True, text=True,  # noqa: S607
                                                          check=False).stdout.split()[2]},
                    "job_queue_available": jobs}
    t0 = time.perf_counter()
    try:
        url = create_db(args.pg, template)
        base_env = {**os.environ, "FORUM_SECRET_KEY": SECRET, "FORUM_SEARCH_BACKEND": "postgresql",
                    "FORUM_MAIL_OUTBOX": str(tmp / "seed-outbox"), "FORUM_INSTANCE_PATH": str(tmp / "seed-instance")}
        print(f"seeding {topics} topics, {members} members (job queue: {'celery' if jobs else 'none, embedded'})",
              flush=True)
        prep = seed(url, topics=topics, members=members, staff=3, env=base_env)
        report["seed"] = {"topics": topics, "members": members, "seconds": prep["seconds"]}
        print(f"seeded in {prep['seconds']}s", flush=True)
        modes = {"both": ["plain", "redis"], "plain": ["plain"], "redis": ["redis"]}[args.modes]
        for mode in modes:
            print(f"mode {mode}", flush=True)
            res = run_mode(args, prep, template, mode, jobs, tmp, procs, plan)
            report["modes"].append(res)
            c = res["check"]
            print(("  accounting OK" if c["ok"] else "  !!! MISMATCH !!! " + "; ".join(c["problems"])), flush=True)
    except KeyboardInterrupt:
        print("interrupted: cleaning up", file=sys.stderr)
        report["interrupted"] = True
    finally:
        procs.stop_all()
        drop_db(args.pg, f"{DB_NAME}_run")
        drop_db(args.pg, template)
        if args.modes != "plain" or jobs:
            with contextlib.suppress(Exception):
                flush_redis(args.redis_url)
        shutil.rmtree(tmp, ignore_errors=True)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(report, indent=1, default=str))
    out.with_suffix(".md").write_text(markdown(report) if report["modes"] else "# interrupted\n")
    if report["modes"]:
        print(markdown(report))
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.md')} ({report['seconds']}s)")
    bad = [m["mode"] for m in report["modes"] if not m["check"]["ok"]]
    if bad:
        print("\n" + "!" * 72 + f"\nMISMATCH in mode(s) {', '.join(bad)}: accepted, stored and mailed differ\n"
              + "!" * 72, file=sys.stderr)
        return 2
    return 1 if report.get("interrupted") else 0


if __name__ == "__main__":
    sys.exit(main())
