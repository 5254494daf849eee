"""Crawl the demo community as a visitor and as one user of each role: every page
reachable from "/" answers without a server error, is a proper HTML page, never shows
another user's email address and never shows a private conversation to someone who
may not read it. The features were built separately; this is where they meet."""

from __future__ import annotations

import html
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from forum.accounts import services as account_services
from forum.demo import DEMO_PASSWORD
from forum.extensions import db
from forum.models import Conversation, Message, User
from forum.permissions import can_read_conversation
from tests.conftest import AuthActions

MAX_PAGES = 400
#: Who crawls: a visitor, then one demo user of each role.
VIEWERS = ("anonymous", "alex.admin", "dana.hayes", "care.priya", "mod.sam", "jess_k")
SKIP_PREFIXES = ("/logout", "/static/")


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):
    """The demo creates ten users; hash their passwords cheaply (sign-in still checks)."""
    monkeypatch.setattr(
        account_services, "hash_password", lambda password: generate_password_hash(password, method="pbkdf2:sha256:1")
    )


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.mains = 0
        self.titles = 0
        self.title_text = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)
        elif tag == "main":
            self.mains += 1
        elif tag == "title":
            self.titles += 1
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title_text += data


def _local(base: str, href: str) -> str | None:
    """The same-site path (with query) of a link, or None for external links and anchors."""
    url = urlsplit(urljoin("http://localhost" + base, href))
    if url.scheme not in ("http", "https") or url.hostname != "localhost":
        return None
    if url.path.startswith(SKIP_PREFIXES):
        return None
    return url.path + (f"?{url.query}" if url.query else "")


def _variant_key(target: str) -> tuple[str, frozenset[str]]:
    """Each path once, and each set of query-string keys on it once (not every page number)."""
    url = urlsplit(target)
    return url.path, frozenset(k for k, _ in parse_qsl(url.query, keep_blank_values=True))


def crawl(client, limit: int = MAX_PAGES) -> dict[str, tuple[int, str, str]]:
    """GET every same-site page reachable from "/": {path: (status, content type, body)}."""
    seen_keys: set = set()
    queue: deque[str] = deque(["/"])
    pages: dict[str, tuple[int, str, str]] = {}
    while queue and len(pages) < limit:
        path = queue.popleft()
        key = _variant_key(path)
        if key in seen_keys:
            continue
        seen_keys.add(key)
        resp = client.get(path)
        body = resp.get_data(as_text=True)
        pages[path] = (resp.status_code, resp.mimetype or "", body)
        links: list[str] = []
        if resp.status_code in (301, 302, 303, 307, 308) and resp.location:
            links.append(resp.location)
        elif resp.mimetype == "text/html":
            parser = _Page()
            parser.feed(body)
            links.extend(parser.links)
        for href in links:
            target = _local(path, href)
            if target is not None and _variant_key(target) not in seen_keys:
                queue.append(target)
    return pages


def _private_texts(app, viewer: str | None) -> list[str]:
    """Subjects and message bodies of the conversations the viewer may not read."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == viewer)) if viewer else None
        hidden = []
        for conv in db.session.scalars(select(Conversation)):
            if user is None:
                readable = False
            elif user.role == "member":
                # A member reads only their own conversations, whatever else changes.
                readable = user.id in conv.participant_ids or conv.member_id == user.id
            else:
                readable = can_read_conversation(user, conv)
            if readable:
                continue
            hidden.append(conv.subject)
            hidden.extend(db.session.scalars(select(Message.body).where(Message.conversation_id == conv.id)))
        # Short texts ("Thanks!") could appear anywhere; check the distinctive ones,
        # by their first line (Markdown may change what follows).
        lines = (t.strip().splitlines()[0] for t in hidden if t and t.strip())
        return [line for line in lines if len(line) >= 20]


@pytest.mark.parametrize("viewer", VIEWERS)
def test_crawl_the_demo_as_each_role(app, client, runner, viewer):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        emails = {u.username: u.email for u in db.session.scalars(select(User))}
    assert emails, "the demo created no users"
    assert all(e.endswith("@demo.example") for e in emails.values())
    me = None if viewer == "anonymous" else viewer
    if me:
        assert AuthActions(client).login(me, DEMO_PASSWORD).status_code == 302
    private = _private_texts(app, me)
    if me == "jess_k":
        assert private, "the demo should have conversations jess_k is not part of"

    pages = crawl(client)
    assert len(pages) > 20, f"the crawl stopped early: {sorted(pages)}"
    problems = []
    for path, (status, mimetype, body) in pages.items():
        if status >= 500:
            problems.append(f"{path}: {status}")
            continue
        if mimetype == "text/html" and status < 300:
            parser = _Page()
            parser.feed(body)
            if parser.mains != 1:
                problems.append(f"{path}: {parser.mains} <main> elements")
            if parser.titles != 1 or not parser.title_text.strip():
                problems.append(f"{path}: no <title> (or more than one)")
        lowered = body.lower()
        for username, email in emails.items():
            if username != me and email.lower() in lowered:
                problems.append(f"{path}: shows {username}'s email address")
        text_only = html.unescape(body)
        for text in private:
            if text in text_only:
                problems.append(f"{path}: shows a private message it may not: {text[:40]!r}")
    assert not problems, "\n".join(problems)
    # Signed-in users reached their own pages (the crawl went past the front page).
    if me:
        assert any(p.startswith("/messages") for p in pages), sorted(pages)
