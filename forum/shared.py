"""What several web hosts share: one Redis client (``FORUM_REDIS_URL``) and a short
lock, with in-process stand-ins when no Redis is configured.

Everything else that must agree across hosts goes through existing stores: the page
cache, banner data and cached search pages through Flask-Caching (``RedisCache`` with
``FORUM_REDIS_URL``), rate limits through Flask-Limiter (the same Redis), counters
("I'm affected", the similar-topic deflection count) and sessions through the database.
The Redis client here serves the single-flight locks (:mod:`forum.pagecache`) and the
incident pub/sub channel (``forum/incidents/live.py``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from flask import Flask, current_app

_LOCAL_LOCKS: dict[str, threading.Lock] = {}
_LOCAL_GUARD = threading.Lock()


def redis_client(app: Flask | None = None):
    """The app's Redis client (``redis.Redis``), or ``None`` without ``FORUM_REDIS_URL``."""
    app = app or current_app._get_current_object()
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = app.extensions.get("forum_redis")
    if client is None:
        import redis

        client = app.extensions["forum_redis"] = redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)
    return client


def key(name: str) -> str:
    """A Redis key under this app's prefix (the cache's, so tests and sites stay apart)."""
    return f"{current_app.config.get('CACHE_KEY_PREFIX', 'forum:')}{name}"


@contextlib.contextmanager
def try_lock(name: str, *, ttl: float) -> Iterator[bool]:
    """Take the lock ``name`` without waiting; yields whether this caller holds it.

    With Redis it is a ``SET NX PX`` lock that expires after ``ttl`` seconds (a worker
    killed while holding it blocks nobody for longer), shared by every host; without
    Redis a ``threading.Lock`` per name, in this process."""
    client = redis_client()
    if client is not None:
        import redis

        lock = client.lock(key(f"lock:{name}"), timeout=ttl, blocking=False)
        try:
            held = lock.acquire()
        except redis.RedisError:
            current_app.logger.warning("Redis lock %s unavailable; going on without it", name)
            yield True
            return
        try:
            yield held
        finally:
            if held:
                with contextlib.suppress(redis.RedisError):  # expired meanwhile: nothing to release
                    lock.release()
        return
    with _LOCAL_GUARD:
        lock = _LOCAL_LOCKS.setdefault(name, threading.Lock())
    held = lock.acquire(blocking=False)
    try:
        yield held
    finally:
        if held:
            lock.release()
