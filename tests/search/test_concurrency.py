"""Several processes post at once; the outbox and the single locked indexer make
every post searchable (a plain second Whoosh writer would lose updates to LockError)."""

from __future__ import annotations

import multiprocessing

import pytest

from forum.extensions import db
from forum.models import SearchOutbox
from forum.search import indexer
from forum.search.index import SearchBackend

WORKERS = 3
POSTS_EACH = 8


def _poster(url: str, index_dir: str, topic_id: int, user_id: int, worker: int) -> None:
    from forum import create_app
    from forum.extensions import db
    from forum.models import Topic, User
    from forum.topics import services

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "RATELIMIT_ENABLED": False,
                      "SEARCH_INDEX_DIR": index_dir, "SEARCH_LOCK_TIMEOUT": 5, "SEARCH_RETRY_SECONDS": 0.2})
    with app.app_context():
        for i in range(POSTS_EACH):
            services.reply_to_topic(db.session.get(Topic, topic_id), author=db.session.get(User, user_id),
                                    body=f"concurrent reply w{worker}n{i} marker{worker}x{i}")
            db.session.commit()
        db.engine.dispose()


@pytest.mark.slow
@pytest.mark.whoosh_only
def test_processes_posting_at_once_lose_nothing(app, build, make_user, category, tmp_path):
    index_dir = str(tmp_path / "search-index")
    alice = make_user("alice")
    with build() as b:
        topic_id = b.topic(category, alice, title="Busy topic", body="Everyone replies here.").id
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_poster, args=(url, index_dir, topic_id, alice["id"], w)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    app.config["SEARCH_INDEX_DIR"] = index_dir
    indexer.reset_backend(app)
    try:
        with app.app_context():
            # The in-process indexers, taking turns behind the file lock, left nothing pending.
            assert db.session.query(SearchOutbox).count() == 0
            backend = SearchBackend(index_dir)
            page = backend.search("concurrent", per_page=1000)
            assert page.total == WORKERS * POSTS_EACH
            for w in range(WORKERS):
                for i in range(POSTS_EACH):
                    assert backend.search(f"marker{w}x{i}").total == 1
    finally:
        app.config["SEARCH_INDEX_DIR"] = None
        indexer.reset_backend(app)
