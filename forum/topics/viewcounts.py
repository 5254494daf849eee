"""Topic view counts without a database write per page view.

A topic page view counts once per viewer (member id, or for visitors a digest of the
address and browser) per ``TOPIC_VIEW_WINDOW_SECONDS``: the first view in a window
adds a key to the cache (``cache.add``: Redis when ``FORUM_REDIS_URL`` is set, shared by
every worker; otherwise per process). Counted views go into a buffer: a Redis hash
(``HINCRBY``, one round trip) when Redis is configured, else a per-process counter.
At most every ``TOPIC_VIEW_FLUSH_SECONDS``, after a response, the buffer is taken
(atomically: ``HGETALL`` + ``DEL`` in one MULTI) and added to ``Topic.view_count`` in
one executemany ``UPDATE topics SET view_count = view_count + n``, in its own short
transaction, which also renews their boards' page versions (forum.visitorcache); ``forum topics flush-views`` does the same from cron or before a restart.

So the hot path writes nothing to the database, the write rate is bounded by the number
of distinct topics viewed per flush interval, and a crash loses at most one interval
of one worker's views (with Redis: none; a normal exit flushes first). Counts are
approximate by design.
"""

from __future__ import annotations

import atexit
import hashlib
import threading
import time
from collections import Counter

from flask import Flask, after_this_request, current_app, request
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.exc import SQLAlchemyError

from forum import visitorcache
from forum.extensions import cache, db
from forum.models import Topic

REDIS_KEY = "forum:topic-views"

_lock = threading.Lock()
_pending: Counter[int] = Counter()
_last_flush = time.monotonic()
_exit_hook = False


def _redis(app: Flask):
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = app.extensions.get("forum_view_redis")
    if client is None:
        import redis

        client = app.extensions["forum_view_redis"] = redis.Redis.from_url(url, socket_timeout=1)
    return client


def _viewer_key() -> str:
    if current_user.is_authenticated:
        return f"u{current_user.id}"
    raw = f"{request.remote_addr}|{request.headers.get('User-Agent', '')}".encode()
    return "a" + hashlib.blake2s(raw, digest_size=8).hexdigest()  # no address is kept


def count_view(topic_id: int) -> bool:
    """Count a view of ``topic_id`` by the current viewer, unless they were counted within
    the window. No database work; may schedule a flush after the response. Returns whether
    the view counted."""
    app = current_app._get_current_object()
    window = app.config["TOPIC_VIEW_WINDOW_SECONDS"]
    if not cache.add(f"topic-viewed:{topic_id}:{_viewer_key()}", 1, timeout=window):
        return False
    client = _redis(app)
    if client is not None:
        try:
            client.hincrby(REDIS_KEY, str(topic_id), 1)
        except Exception:  # noqa: BLE001 - Redis down: the view is not counted, the page is served
            app.logger.warning("could not buffer a topic view in Redis", exc_info=True)
            return False
    else:
        with _lock:
            _pending[topic_id] += 1
        _flush_at_exit(app)
    if time.monotonic() - _last_flush >= app.config["TOPIC_VIEW_FLUSH_SECONDS"]:
        @after_this_request
        def _flush(response):
            flush_views(app)
            return response
    return True


def _flush_at_exit(app: Flask) -> None:
    """A worker that exits normally writes its buffer first (not in tests: their databases
    are gone by then)."""
    global _exit_hook
    if not _exit_hook and not app.testing:
        _exit_hook = True
        atexit.register(_exit_flush, app)


def _take(app: Flask) -> Counter[int]:
    global _last_flush
    _last_flush = time.monotonic()
    taken: Counter[int] = Counter()
    with _lock:
        taken.update(_pending)
        _pending.clear()
    client = _redis(app)
    if client is not None:
        pipe = client.pipeline(transaction=True)
        pipe.hgetall(REDIS_KEY)
        pipe.delete(REDIS_KEY)
        counts, _ = pipe.execute()
        taken.update({int(k): int(v) for k, v in counts.items()})
    return taken


def _give_back(app: Flask, counts: Counter[int]) -> None:
    client = _redis(app)
    if client is not None:
        pipe = client.pipeline(transaction=False)
        for topic_id, n in counts.items():
            pipe.hincrby(REDIS_KEY, str(topic_id), n)
        pipe.execute()
    else:
        with _lock:
            _pending.update(counts)


def flush_views(app: Flask | None = None) -> int:
    """Add the buffered views to ``Topic.view_count``: one executemany UPDATE in its own
    transaction. Returns how many topics were updated; on a database error the counts go
    back into the buffer (nothing is lost, nothing fails)."""
    app = app or current_app._get_current_object()
    try:
        counts = _take(app)
    except Exception:  # noqa: BLE001 - Redis down: try again at the next flush
        app.logger.warning("could not read buffered topic views", exc_info=True)
        return 0
    if not counts:
        return 0
    table = Topic.__table__
    stmt = (table.update().where(table.c.id == bindparam("topic"))
            .values(view_count=table.c.view_count + bindparam("n")))
    try:
        with db.engine.begin() as conn:
            conn.execute(stmt, [{"topic": t, "n": n} for t, n in sorted(counts.items())])
            # The boards' lists show the counts: their visitors' cached pages get a new
            # version (the topic page fills its own count in per request).
            boards = conn.execute(select(table.c.category_id).where(table.c.id.in_(sorted(counts))).distinct())
            visitorcache.bump_boards(conn, boards.scalars().all())
    except SQLAlchemyError:
        app.logger.warning("could not write topic views; kept for the next flush", exc_info=True)
        _give_back(app, counts)
        return 0
    return len(counts)


def _exit_flush(app: Flask) -> None:
    """A worker's last flush as it exits: outside any request, so in an app context of
    its own (``db.engine`` needs one); never raises during interpreter shutdown."""
    try:
        with app.app_context():
            flush_views(app)
    except Exception:  # noqa: BLE001 - the process is exiting; the log is all we can do
        app.logger.warning("could not flush topic views at exit", exc_info=True)


def discard_pending() -> None:
    """Forget this process's buffered views (tests)."""
    with _lock:
        _pending.clear()
