"""Webhook fixtures: a real HTTP receiver on loopback (a thread running http.server)
that checks each request's signature and can be told to fail, and an admin."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from forum.extensions import db
from forum.models import Category, User, WebhookEndpoint
from forum.webhooks import services

#: The brief's port range for this feature; the receiver takes the first free one.
PORTS = range(5230, 5240)


class Receiver:
    """What the receiver saw, and how it answers: ``fail`` more 500s before 200s,
    ``status`` / ``body`` for every answer otherwise."""

    def __init__(self):
        self.requests: list[dict] = []
        self.secret: str | None = None
        self.fail = 0
        self.always_fail = False
        self.status = 200
        self.body = b'{"ok":true}'
        self.headers: dict[str, str] = {}
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/forum?src=test"

    def signature_ok(self, req: dict) -> bool:
        expected = "sha256=" + hmac.new(self.secret.encode(), f"{req['headers']['X-Forum-Timestamp']}.".encode()
                                        + req["raw"], hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, req["headers"].get("X-Forum-Signature", ""))

    @property
    def events(self) -> list[str]:
        return [r["json"]["event"] for r in self.requests]


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            req = {"path": self.path, "headers": dict(self.headers.items()), "raw": raw, "json": json.loads(raw)}
            with receiver.lock:
                req["signature_ok"] = receiver.secret is not None and receiver.signature_ok(req)
                receiver.requests.append(req)
                if receiver.fail > 0 or receiver.always_fail:
                    receiver.fail -= 1
                    status, body = 500, b"receiver down"
                else:
                    status, body = receiver.status, receiver.body
            self.send_response(status)
            for name, value in receiver.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def receiver():
    rec = Receiver()
    for port in [*PORTS, 0]:
        try:
            rec.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(rec))
            break
        except OSError:
            continue
    thread = threading.Thread(target=rec.server.serve_forever, daemon=True)
    thread.start()
    yield rec
    rec.server.shutdown()
    rec.server.server_close()
    thread.join(5)


@pytest.fixture(autouse=True)
def _webhook_settings(app):
    """Private addresses allowed (the receiver is on loopback); small limits."""
    saved = {k: app.config[k] for k in app.config if k.startswith("WEBHOOKS_")}
    app.config.update(WEBHOOKS_ALLOW_PRIVATE=True, WEBHOOKS_TIMEOUT=3, WEBHOOKS_MAX_ATTEMPTS=4,
                      WEBHOOKS_BACKOFF_SECONDS=30, WEBHOOKS_DISABLE_AFTER=10)
    yield
    app.config.update(saved)


@pytest.fixture
def admin(make_user):
    return make_user("hook_admin", role="admin")


@pytest.fixture
def board(make_category):
    return make_category()


@pytest.fixture
def endpoint(app, admin, receiver):
    """Make a committed endpoint for ``events`` that the receiver trusts; returns its id."""

    def _make(events=("topic.created",), url=None, **kw):
        with app.app_context():
            e = services.create_endpoint(actor=db.session.get(User, admin["id"]), url=url or receiver.url,
                                         description=kw.get("description", "CRM"), events=list(events))
            db.session.commit()
            receiver.secret = e.secret
            return e.id

    return _make


def get(model, id_):
    return db.session.get(model, id_)


__all__ = ["Category", "WebhookEndpoint", "get"]
