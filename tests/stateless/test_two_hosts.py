"""Any host can serve any request: two forum processes (two "hosts", separate ports)
on one database and one Redis (``FORUM_TEST_REDIS_URL``, e.g.
``redis://127.0.0.1:6379/2``; skipped when unset, CI sets it in ``.ci/run``). A browser
signs in on one and writes on the other; the banner, the "I'm affected" count, the
rate limits and the live updates agree across them."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("FORUM_TEST_REDIS_URL")
PASSWORD = "demo-community-2026"

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="FORUM_TEST_REDIS_URL not set")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """One browser: its own cookies, sent to whichever host it talks to."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def get(self, url: str, headers: dict | None = None):
        return self._open(urllib.request.Request(url, headers=headers or {}))

    def post(self, url: str, data: dict):
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(url, data=body, method="POST"))

    def _open(self, req):
        try:
            resp = self.opener.open(req, timeout=20)
        except urllib.error.HTTPError as exc:
            resp = exc
        resp.text = resp.read().decode()
        return resp

    def form_fields(self, url: str) -> dict:
        html = self.get(url).text
        fields = {}
        for name in ("csrf_token", "submission_token"):
            match = re.search(rf'name="{name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="{name}"', html) or \
                re.search(rf'id="{name}" name="{name}" type="hidden" value="([^"]*)"', html)
            if match:
                fields[name] = next(g for g in match.groups() if g is not None)
        return fields

    def sign_in(self, host: str, login: str):
        fields = self.form_fields(f"{host}/login")
        resp = self.post(f"{host}/login", {**fields, "login": login, "password": PASSWORD})
        assert resp.status == 302, resp.text[:500]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="module")
def hosts(tmp_path_factory, database_url):
    import redis

    if not database_url.startswith("sqlite"):
        pytest.skip("the hosts keep their own SQLite file; once is enough")

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    tmp = tmp_path_factory.mktemp("two-hosts")
    prefix = f"forum-test-{uuid.uuid4().hex[:8]}:"
    env = {
        **os.environ,
        "FORUM_INSTANCE_PATH": str(tmp),
        "FORUM_DATABASE_URL": f"sqlite:///{tmp / 'forum.db'}",
        "FORUM_SECRET_KEY": "two-hosts-secret",
        "FORUM_REDIS_URL": REDIS_URL,
        "FORUM_CACHE_KEY_PREFIX": prefix,
        "FORUM_RATELIMIT_KEY_PREFIX": prefix + "limits",
        "FORUM_STAFF_2FA_REQUIRED": "false",
        "FORUM_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        "FORUM_INCIDENT_ANON_REPORTS": "true",
        "FORUM_INCIDENT_ANON_REPORT_LIMIT": "2 per hour",
        "FORUM_SEARCH_INDEX_DIR": str(tmp / "index"),
        "FORUM_LIVE_STREAM_SECONDS": "8",
        "FORUM_MAIL_OUTBOX": str(tmp / "outbox"),
    }
    forum = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for args in (["db", "upgrade"], ["demo"]):
        subprocess.run([*forum, *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    serve = ("from werkzeug.serving import run_simple; from forum import create_app; import sys; "
             "run_simple('127.0.0.1', int(sys.argv[1]), create_app(), threaded=True)")
    procs, urls = [], []
    logs = [tmp / f"host{i}.log" for i in range(2)]
    for log in logs:
        port = _free_port()
        with log.open("w") as err:  # the child keeps its own descriptor
            procs.append(subprocess.Popen([sys.executable, "-c", serve, str(port)], cwd=ROOT, env=env,
                                          stdout=subprocess.DEVNULL, stderr=err))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, proc, log in zip(urls, procs, logs, strict=True):
            deadline = time.monotonic() + 90  # a loaded 2-core machine starts an app slowly
            while True:
                try:
                    urllib.request.urlopen(f"{url}/healthz", timeout=2)
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"{url} did not start:\n{log.read_text()[-2000:]}")
                    time.sleep(0.2)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=prefix + "*")) + list(client.scan_iter(match="*" + prefix + "*"))
        if keys:
            client.delete(*keys)


def _affected_count(html: str) -> int:
    match = re.search(r'id="affected-count"[^>]*>(\d+)<', html)
    assert match, "no affected count on the page"
    return int(match.group(1))


def test_any_host_serves_any_request(hosts):
    a, b = hosts
    visitor = Browser()
    assert "No data anywhere in Leeds" not in visitor.get(f"{a}/").text  # A's banner cached (in Redis): none open

    staff = Browser()
    staff.sign_in(a, "care.priya")  # signed in on A...
    fields = staff.form_fields(f"{b}/status/new")  # ...recognised on B (sessions live in the database)
    resp = staff.post(f"{b}/status/new", {**fields, "title": "No data anywhere in Leeds", "tags": "4G",
                                          "severity": "major", "state": "investigating", "body": "Investigating."})
    assert resp.status == 302, resp.text[:300]
    incident_url = resp.headers["Location"]
    incident_path = urllib.parse.urlsplit(incident_url).path

    # B's write dropped the shared banner: A shows it at once, to a visitor, with a public header.
    home = Browser().get(f"{a}/")
    assert "No data anywhere in Leeds" in home.text
    assert home.headers["Cache-Control"].startswith("public, max-age=")
    assert home.headers.get("Set-Cookie") is None

    # A member presses "I'm affected" on A; B's (cached) page counts it.
    member = Browser()
    member.sign_in(b, "jess_k")
    resp = member.post(f"{a}{incident_path}/affected", {**member.form_fields(f"{a}{incident_path}"), "area": ""})
    assert resp.status == 302
    assert _affected_count(Browser().get(f"{b}{incident_path}").text) == 1

    # Visitors' presses share one per-IP limit (2 per hour) across both hosts.
    statuses = []
    for host in (a, b, a):
        browser = Browser()
        statuses.append(browser.post(f"{host}{incident_path}/affected",
                                     {**browser.form_fields(f"{host}{incident_path}/affected")}).status)
    assert statuses == [302, 302, 429]
    assert _affected_count(Browser().get(f"{a}{incident_path}").text) == 3


def test_live_updates_cross_hosts_through_redis(hosts):
    a, b = hosts
    staff = Browser()
    staff.sign_in(b, "care.priya")
    fields = staff.form_fields(f"{b}/status/new")
    resp = staff.post(f"{b}/status/new", {**fields, "title": "Voicemail down in Wales", "tags": "voicemail",
                                          "severity": "minor", "state": "investigating", "body": "Looking into it."})
    assert resp.status == 302
    incident_path = urllib.parse.urlsplit(resp.headers["Location"]).path

    received: list[dict] = []
    opened = threading.Event()

    def listen():
        with urllib.request.urlopen(f"{a}{incident_path}/events", timeout=15) as stream:
            opened.set()
            event = None
            for raw in stream:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "update":
                    received.append(json.loads(line[6:]))
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert opened.wait(10)
    time.sleep(0.5)  # the stream subscribes after its first line
    fields = staff.form_fields(f"{b}{incident_path}")
    resp = staff.post(f"{b}{incident_path}/updates", {**fields, "state": "identified", "body": "A mast in Cardiff."})
    assert resp.status == 302
    listener.join(10)
    assert received
    assert "A mast in Cardiff." in received[0]["html"]
    assert received[0]["state_label"] == "Identified"
