"""Session replay, reset and throttling checks against gunicorn with two workers.

    .venv/bin/python bench/security_kit.py [--workers 2] [--redis]

Builds a throw-away SQLite forum, starts gunicorn on 127.0.0.1 (a free port; with
``--redis`` also a private redis-server on another free port, used for the rate
limits), and checks over HTTP, with CSRF on, as a browser would:

1. a session cookie copied before logout is anonymous after it, on every worker;
2. a copied session cookie and a remember cookie are anonymous after a password reset;
3. failed sign-ins for one account: the attempt that first gets a 429 (the account
   limit is 5 per minute: 6 with Redis; later without, as each worker counts alone);
4. a reply form sent 8 times with its one-time submission token (4 at once, then 4 one
   after another, as a retrying browser or proxy would): one reply stored, and every
   answer that redirects points to it.

Only 127.0.0.1 is contacted. Prints one line per check and a JSON summary.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"  # noqa: S105 - a throw-away test account
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})  # noqa: S310
        try:
            with self.opener.open(req, timeout=20) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def token(self, path: str) -> str:
        return TOKEN_RE.search(self.request(path)[1]).group(1)

    def login(self, login: str, password: str, remember: bool = False) -> int:
        return self.request("/login", {"login": login, "password": password, "remember": "y" if remember else "",
                                       "csrf_token": self.token("/login")})[0]

    def signed_in(self) -> bool:
        return self.request("/settings")[0] == 200

    def cookies(self) -> list:
        return list(self.jar)

    def adopt(self, cookies: list) -> None:
        for c in cookies:
            self.jar.set_cookie(c)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis", action="store_true", help="count rate limits in a private redis-server")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="forum-kit-"))
    env = {**os.environ, "FORUM_INSTANCE_PATH": str(tmp), "FORUM_DATABASE_URL": f"sqlite:///{tmp / 'forum.db'}",
           "FORUM_SECRET_KEY": "kit-secret", "FORUM_MAIL_OUTBOX": str(tmp / "outbox"), "FORUM_SEARCH_INDEX_DIR": str(tmp / "ix")}
    redis = None
    if args.redis:
        rport = free_port()
        redis = subprocess.Popen(["redis-server", "--port", str(rport), "--save", "", "--appendonly", "no"],  # noqa: S603,S607
                                 stdout=subprocess.DEVNULL)
        env["FORUM_REDIS_URL"] = f"redis://127.0.0.1:{rport}/0"
    subprocess.run([str(ROOT / ".venv/bin/forum"), "db", "upgrade"], env=env, check=True, capture_output=True)  # noqa: S603
    subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", "from forum import create_app\nfrom forum.accounts import services\n"
         "from forum.extensions import db\napp = create_app()\nwith app.app_context():\n"
         f"    services.create_user(username='jess', email='jess@example.com', password={PASSWORD!r}, verified=True)\n"
         f"    kim = services.create_user(username='kim', email='kim@example.com', password={PASSWORD!r}, verified=True)\n"
         "    from forum.models import Category\n    from forum.topics import services as topics\n"
         "    cat = Category(name='Network', slug='network', description='', position=1)\n"
         "    db.session.add(cat)\n    db.session.flush()\n"
         "    topics.create_topic(cat, author=kim, title='No signal in Leeds', body='Since Tuesday.')\n"
         "    db.session.commit()"], env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    gunicorn = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-w", str(args.workers), "-b", f"127.0.0.1:{port}",  # noqa: S603
                                 "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    results = {}
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 - local only
                break
            except OSError:
                time.sleep(0.2)
        results.update(check_logout(base), **check_reset(base, env), **check_throttle(base),
                       **check_duplicate_submit(base))
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
        warnings = gunicorn.stderr.read().decode()
        if redis:
            redis.terminate()
            redis.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    results["start_up_warning"] = "counted in memory" in warnings
    results.update(workers=args.workers, redis=bool(args.redis))
    for key, value in results.items():
        print(f"{key}: {value}")
    print(json.dumps(results))


def check_logout(base: str) -> dict:
    a = Browser(base)
    assert a.login("jess", PASSWORD) == 302
    copy = Browser(base)
    copy.adopt(a.cookies())
    before = all(copy.signed_in() for _ in range(6))
    a.request("/logout", {"csrf_token": a.token("/")})
    after = [copy.signed_in() for _ in range(10)]  # several requests: both workers answer
    return {"replay_before_logout_signed_in": before, "replay_after_logout_signed_in": any(after)}


def check_reset(base: str, env: dict) -> dict:
    victim = Browser(base)
    assert victim.login("jess", PASSWORD, remember=True) == 302
    copy = Browser(base)
    copy.adopt(victim.cookies())
    remember_only = Browser(base)
    remember_only.adopt([c for c in victim.cookies() if "remember" in c.name])
    token = subprocess.run(  # noqa: S603 - the app's own signer, same secret key
        [sys.executable, "-c", "from forum import create_app\nfrom forum.accounts import services\n"
         "from forum.models import User\nfrom forum.extensions import db\napp = create_app()\n"
         "with app.app_context():\n    u = db.session.query(User).filter_by(username='jess').one()\n"
         "    print(services.make_reset_token(u))"],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    resetter = Browser(base)
    path = f"/reset/{token}"
    new = "a-brand-new-Passphrase-9"
    status = resetter.request(path, {"password": new, "confirm": new, "csrf_token": resetter.token(path)})[0]
    return {"reset_status": status,
            "copied_session_after_reset_signed_in": any(copy.signed_in() for _ in range(6)),
            "remember_cookie_after_reset_signed_in": any(remember_only.signed_in() for _ in range(6)),
            "new_password_signs_in": Browser(base).login("jess", new) == 302}


def check_throttle(base: str) -> dict:
    first_429 = None
    for attempt in range(1, 31):
        if Browser(base).login("jess", f"wrong-{attempt}") == 429:
            first_429 = attempt
            break
    return {"first_429_at_attempt": first_429}


SUBMISSION_RE = re.compile(r'name="submission_token" type="hidden" value="([^"]+)"')


def check_duplicate_submit(base: str) -> dict:
    from concurrent.futures import ThreadPoolExecutor
    from html import unescape

    kim = Browser(base)
    assert kim.login("kim", PASSWORD) == 302
    html = kim.request("/t/1/reply")[1]
    body = f"Same here in Hull ({time.time():.0f})."
    data = {"body": body, "csrf_token": TOKEN_RE.search(html).group(1),
            "submission_token": unescape(SUBMISSION_RE.search(html).group(1))}

    def send(_):
        req = urllib.request.Request(base + "/t/1/reply", data=urllib.parse.urlencode(data).encode(),  # noqa: S310
                                     headers={"Referer": base + "/t/1/reply"})
        try:
            with kim.opener.open(req, timeout=20) as resp:
                return resp.status, resp.headers.get("Location")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Location")

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(send, range(4)))
    answers += [send(i) for i in range(4)]
    page = kim.request("/t/1")[1]
    locations = {loc for status, loc in answers if status in (302, 303)}
    return {"duplicate_submit_statuses": sorted(status for status, _ in answers),
            "duplicate_submit_replies_stored": page.count(body),
            "duplicate_submit_distinct_locations": len(locations)}


if __name__ == "__main__":
    main()
