"""The single writer: applies the search outbox to the index, then clears those rows.

Only one indexer works at a time (a file lock beside the index; a process lock for the
in-memory index of the tests). In the embedded default (``SEARCH_INLINE_INDEXER``) the
process that committed a change runs it right after the commit; in production set
``FORUM_SEARCH_INLINE_INDEXER=false`` and run ``forum search work``. A crash at any
point leaves the rows pending, and applying a row twice is harmless, because the
indexer always reads the document's current state from the database.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, event, func, select, text
from sqlalchemy.orm import Session

from forum.extensions import db
from forum.models import SearchOutbox
from forum.models.base import utcnow
from forum.search import documents
from forum.search.index import SearchBackend, SearchUnavailable

BATCH = 500
_EXT = "forum_search"
#: Where :func:`forum.search.outbox.enqueue` keeps this transaction's outbox rows.
ROWS_KEY = "search_outbox_rows"


BACKENDS = ("whoosh", "postgresql")


def backend_name(app) -> str:
    return str(app.config.get("SEARCH_BACKEND") or "whoosh").strip().lower()


def check_config(app) -> None:
    """At start-up: ``SEARCH_BACKEND`` names a backend, and ``postgresql`` runs only
    on a PostgreSQL database."""
    name = backend_name(app)
    if name not in BACKENDS:
        raise RuntimeError(f"FORUM_SEARCH_BACKEND must be one of {', '.join(BACKENDS)} (not {name!r}).")
    url = str(app.config.get("SQLALCHEMY_DATABASE_URI") or "")
    if name == "postgresql" and not url.startswith("postgresql"):
        raise RuntimeError("FORUM_SEARCH_BACKEND=postgresql needs a PostgreSQL database "
                           "(FORUM_DATABASE_URL is not one); use the default whoosh backend instead.")


def get_backend(app=None) -> SearchBackend:
    app = app or current_app._get_current_object()
    backend = app.extensions.get(_EXT)
    if backend is None:
        cfg = app.config
        if backend_name(app) == "postgresql":
            check_config(app)
            from forum.search.pg import PostgresBackend

            with app.app_context():
                engine = db.engine
            backend = PostgresBackend(engine, app_session=True)
        else:
            path = cfg.get("SEARCH_INDEX_DIR", "")
            if path == "":
                path = os.path.join(app.instance_path, "search-index")
            backend = SearchBackend(path, lock_timeout=float(cfg.get("SEARCH_LOCK_TIMEOUT", 5)))
        backend.last_error = None
        backend.process_lock = threading.Lock()
        app.extensions[_EXT] = backend
    return backend


def reset_backend(app) -> None:
    """Forget the app's backend (tests: a fresh in-memory index)."""
    app.extensions.pop(_EXT, None)


class IndexerLock:
    """``flock`` on ``<index>.lock`` (or a process lock for the in-memory index)."""

    def __init__(self, backend: SearchBackend):
        self.backend = backend
        self._fh = None

    def acquire(self, *, blocking: bool = False, timeout: float = 60.0) -> bool:
        if self.backend.path is None:
            return self.backend.process_lock.acquire(blocking=blocking, timeout=timeout if blocking else -1)
        try:
            os.makedirs(os.path.dirname(os.path.abspath(self.backend.path)), exist_ok=True)
            fh = open(self.backend.path + ".lock", "a+")  # noqa: SIM115 - held until release()
        except OSError as exc:
            self.backend.last_error = "The search indexer cannot take its lock."
            current_app.logger.warning("search indexer: cannot open the lock beside %s: %s", self.backend.path, exc)
            return False
        deadline = time.monotonic() + (timeout if blocking else 0)
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fh = fh
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.close()
                    return False
                time.sleep(0.05)

    def release(self) -> None:
        if self.backend.path is None:
            self.backend.process_lock.release()
            return
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def _pending(session: Session) -> int:
    return session.scalar(select(func.count(SearchOutbox.id))) or 0


def _is_pg(backend) -> bool:
    return getattr(backend, "kind", "whoosh") == "postgresql"


def _apply_batch(backend: SearchBackend, session: Session) -> int:
    rows = session.execute(
        select(SearchOutbox.id, SearchOutbox.doc_type, SearchOutbox.doc_id, SearchOutbox.action)
        .order_by(SearchOutbox.id).limit(BATCH)
    ).all()
    if not rows:
        return 0
    if _is_pg(backend):
        # One transaction: the documents, then the rows that asked for them.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _pg().WRITE_LOCK})
        docs, deletes = collect(session, rows)
        backend.apply(docs, deletes, session=session)
    else:
        docs, deletes = collect(session, rows)
        session.rollback()  # end the read transaction before the (slow) index write
        backend.apply(docs, deletes)
    session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_([r.id for r in rows])))
    session.commit()
    return len(rows)


def _pg():
    from forum.search import pg

    return pg


def collect(session: Session, rows) -> tuple[list[dict], list[str]]:
    """The documents to write and the ids to delete for outbox ``rows`` (anything with
    ``doc_type``, ``doc_id`` and ``action``), read from the database through ``session``."""
    topic_ids, post_ids, tree_ids, qa_ids, deletes = set(), set(), set(), set(), []
    prefix = {"topic": "t", "post": "p", "qa": "q"}
    for row in rows:
        if row.action == "delete" and row.doc_type in prefix:
            deletes.append(f"{prefix[row.doc_type]}:{row.doc_id}")
        elif row.doc_type == "topic":
            topic_ids.add(row.doc_id)
        elif row.doc_type == "post":
            post_ids.add(row.doc_id)
        elif row.doc_type == "tree":
            tree_ids.add(row.doc_id)
            topic_ids.add(row.doc_id)
        elif row.doc_type == "qa":
            qa_ids.add(row.doc_id)
    docs = []
    for kind, pairs in (
        ("t", documents.topic_docs(session, topic_ids) if topic_ids else ()),
        ("p", documents.reply_docs(session, post_ids=post_ids) if post_ids else ()),
        ("p", documents.reply_docs(session, topic_ids=tree_ids) if tree_ids else ()),
        ("q", documents.qa_docs(session, qa_ids) if qa_ids else ()),
    ):
        for doc_id, doc in pairs:
            if doc is None:
                deletes.append(f"{kind}:{doc_id}")
            else:
                docs.append(doc)
    return docs, deletes


@event.listens_for(Session, "before_commit")
def _apply_in_commit(session: Session) -> None:
    """With the PostgreSQL backend, the search documents are written inside the commit
    of the change itself: this transaction's outbox rows are applied and deleted here,
    so a commit and its search documents land (or roll back) together."""
    rows = session.info.get("forum_transaction_state", {}).get(ROWS_KEY)
    if not rows or session.in_nested_transaction():
        return
    try:
        app = current_app._get_current_object()
    except RuntimeError:  # no application context
        return
    if backend_name(app) != "postgresql" or session is not db.session():
        return
    backend = get_backend(app)
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _pg().WRITE_LOCK})
    while rows:
        session.flush()  # may queue more rows (Q&A changes are seen at the flush)
        todo = list(rows)
        rows.clear()
        docs, deletes = collect(session, todo)
        backend.apply(docs, deletes, session=session)
        session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_([r.id for r in todo])))


def drain(*, max_batches: int | None = None) -> int:
    """Apply pending outbox rows, if no other indexer is at it. Returns how many rows
    were applied. Never raises for an unavailable index: the rows stay pending and
    ``backend.last_error`` says why."""
    backend = get_backend()
    lock = IndexerLock(backend)
    total = 0
    with Session(db.engine) as session:
        while True:
            if not lock.acquire():
                return total  # the holder re-checks the outbox after releasing
            try:
                batches = 0
                while max_batches is None or batches < max_batches:
                    done = _apply_batch(backend, session)
                    if not done:
                        break
                    total += done
                    batches += 1
                backend.last_error = None
            except SearchUnavailable as exc:
                session.rollback()
                backend.last_error = str(exc)
                current_app.logger.warning("search indexer: %s (the outbox keeps the work)", exc.detail)
                _retry_soon(backend)
                return total
            finally:
                lock.release()
            if max_batches is not None or not _pending(session):
                return total
            session.rollback()


def _retry_soon(backend: SearchBackend) -> None:
    """In the embedded mode nothing else would look at the outbox until the next
    commit: try again after ``SEARCH_RETRY_SECONDS`` (one timer at a time)."""
    app = current_app._get_current_object()
    delay = float(app.config.get("SEARCH_RETRY_SECONDS", 2))
    if not app.config.get("SEARCH_INLINE_INDEXER", True) or delay <= 0 or getattr(backend, "retry_timer", None):
        return

    def run() -> None:
        backend.retry_timer = None
        with app.app_context():
            drain()

    timer = threading.Timer(delay, run)
    timer.daemon = True
    backend.retry_timer = timer
    timer.start()


def wake() -> None:
    """After a commit: apply the outbox now in the embedded mode."""
    if current_app.config.get("SEARCH_INLINE_INDEXER", True):
        drain()


def work(*, interval: float = 1.0, once: bool = False, echo: Callable[[str], None] | None = None) -> None:
    """The long-running indexer for production (``forum search work``)."""
    while True:
        applied = drain()
        if applied and echo:
            echo(f"applied {applied} change(s)")
        if once:
            return
        time.sleep(interval)


def reindex(*, on_doc: Callable[[], None] | None = None) -> dict:
    """Rebuild the index from the database into a new folder and swap it in.

    Holds the indexer lock for the whole build, so the outbox fills up meanwhile and
    nothing is applied to the old index and then lost. Only the rows that existed
    before the build started are cleared; newer ones are applied after the swap."""
    backend = get_backend()
    lock = IndexerLock(backend)
    if not lock.acquire(blocking=True, timeout=float(current_app.config.get("SEARCH_REINDEX_LOCK_WAIT", 120))):
        raise SearchUnavailable("Another indexer holds the lock; try again when it has finished.")
    started = time.perf_counter()
    try:
        with Session(db.engine) as session:
            snapshot = list(session.scalars(select(SearchOutbox.id)))
            if _is_pg(backend):
                count = backend.resync(on_doc=on_doc)
            else:
                count = backend.rebuild(documents.all_docs(session), on_doc=on_doc)
            session.rollback()
            for i in range(0, len(snapshot), BATCH):
                session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(snapshot[i:i + BATCH])))
            session.commit()
    finally:
        lock.release()
    seconds = time.perf_counter() - started
    later = drain()
    return {"documents": count, "cleared": len(snapshot), "applied_after": later, "seconds": seconds}


def check() -> dict:
    """Compare the index with the database: documents missing, stale (different
    content) or extra (should not be there)."""
    backend = get_backend()
    with Session(db.engine) as session:
        expected = {doc["id"]: doc["sig"] for doc in documents.all_docs(session)}
        pending = _pending(session)
    actual = backend.signatures()
    duplicates = sorted(backend.duplicates())
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    stale = sorted(k for k in set(expected) & set(actual) if expected[k] != actual[k])
    return {"expected": len(expected), "indexed": len(actual), "missing": missing, "stale": stale, "extra": extra,
            "duplicate": duplicates, "pending": pending}


def status() -> str | None:
    """Why search is degraded right now, or None."""
    backend = get_backend()
    try:
        backend.searcher()
    except SearchUnavailable as exc:
        return str(exc)
    if backend.last_error:
        return backend.last_error
    oldest = db.session.scalar(select(func.min(SearchOutbox.created_at)))
    stale_after = float(current_app.config.get("SEARCH_STALE_SECONDS", 300))
    if oldest is not None:
        if oldest.tzinfo is None:
            from datetime import UTC

            oldest = oldest.replace(tzinfo=UTC)
        if utcnow() - oldest > timedelta(seconds=stale_after):
            return "recent changes are waiting to be indexed"
    return None
