"""Index integrity: no duplicates, `check` sees them, a lost index is reported (never
recreated empty), and the degraded notice shows no server path."""

from __future__ import annotations

import os
import shutil

import pytest

from forum.extensions import db
from forum.helpdesk import services as helpdesk
from forum.models import Post, SearchOutbox, User
from forum.search import documents, indexer
from forum.search.index import SearchBackend, SearchUnavailable


@pytest.fixture
def queued(app):
    """Outbox rows wait until the test drains them (as with `forum search work`)."""
    app.config["SEARCH_INLINE_INDEXER"] = False
    yield
    app.config["SEARCH_INLINE_INDEXER"] = True


def test_reply_and_official_mark_in_one_batch_store_the_reply_once(app, build, make_user, category, backend, queued):
    alice, agent = make_user("alice"), make_user("agent", role="staff")
    with build() as b:
        topic = b.topic(category, alice, title="Router keeps dropping", body="Help.")
        reply = b.reply(topic, agent, body="Quokkafix: update the firmware.")
        ids = reply.id, agent["id"]
    with app.app_context():
        helpdesk.mark_official_answer(db.session.get(Post, ids[0]), actor=db.session.get(User, ids[1]), reason="works")
        db.session.commit()
        indexer.drain()  # the reply's row and the topic's tree row in one batch
        assert db.session.query(SearchOutbox).count() == 0
        assert backend.duplicates() == {}
        assert [h.doc_id for h in backend.search("quokkafix", per_page=50).hits].count(f"p:{ids[0]}") == 1
        assert indexer.check()["duplicate"] == []


@pytest.mark.whoosh_only  # postgresql: the id is the primary key (tests/search/test_pg.py)
def test_check_reports_duplicates(app, build, make_user, category, backend, runner):
    alice = make_user("alice")
    with build() as b:
        t = b.topic(category, alice, title="Number port stuck", body="PAC code rejected.")
        reply_id = b.reply(t, alice, body="Still stuck.").id
    with app.app_context():
        docs = list(documents.all_docs(db.session))
        reply_doc = next(d for d in docs if d["id"] == f"p:{reply_id}")
        backend.rebuild(docs + [reply_doc])  # the reply stored twice
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1, result.output
    assert f"duplicate: 1: p:{reply_id}" in result.output


def test_no_duplicates_after_the_demo(app, runner, backend):
    assert runner.invoke(args=["demo"]).exit_code == 0
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert backend.duplicates() == {}


@pytest.mark.whoosh_only
def test_a_deleted_index_folder_is_reported_not_recreated_empty(tmp_path):
    backend = SearchBackend(str(tmp_path / "index"))
    backend.apply([{"id": "t:1", "kind": "topic", "topic_id": 1, "title": "Roaming", "body": "abroad"}], [])
    real = os.path.realpath(tmp_path / "index")
    shutil.rmtree(real)
    fresh = SearchBackend(str(tmp_path / "index"))  # e.g. another worker, or after a restart
    with pytest.raises(SearchUnavailable) as exc:
        fresh.apply([{"id": "t:2", "kind": "topic", "topic_id": 2, "title": "Voicemail", "body": "greeting"}], [])
    assert "forum search reindex" in str(exc.value)
    assert str(tmp_path) not in str(exc.value)
    assert not os.path.exists(real)
    with pytest.raises(SearchUnavailable):
        fresh.search("roaming")
    fresh.rebuild([{"id": "t:1", "kind": "topic", "topic_id": 1, "title": "Roaming", "body": "abroad"}])
    assert fresh.search("roaming").total == 1


@pytest.mark.whoosh_only
def test_a_first_index_is_still_created(tmp_path):
    backend = SearchBackend(str(tmp_path / "index"))
    backend.apply([{"id": "t:1", "kind": "topic", "topic_id": 1, "title": "Roaming", "body": "abroad"}], [])
    assert backend.search("roaming").total == 1


@pytest.mark.whoosh_only
def test_the_degraded_notice_shows_no_server_path(app, make_user, category, build, search, tmp_path):
    app.config["SEARCH_INDEX_DIR"] = str(tmp_path / "index")
    indexer.reset_backend(app)
    try:
        alice = make_user("alice")
        with build() as b:
            b.topic(category, alice, title="Before the loss", body="indexed")
        shutil.rmtree(os.path.realpath(tmp_path / "index"))
        indexer.reset_backend(app)
        with build() as b:
            b.topic(category, alice, title="After the loss", body="waits in the outbox")
        with app.app_context():
            assert db.session.query(SearchOutbox).count() == 1
        assert not os.path.exists(tmp_path / "index")
        for q in ("before", ""):
            status, html = search(q=q)
            assert "temporarily degraded" in html
            assert "forum search reindex" in html
            assert str(tmp_path) not in html
            assert "/tmp" not in html
    finally:
        app.config["SEARCH_INDEX_DIR"] = None
        indexer.reset_backend(app)


@pytest.mark.whoosh_only
def test_a_brief_write_error_does_not_lock_the_indexer_out(tmp_path, monkeypatch):
    backend = SearchBackend(str(tmp_path / "index"), lock_timeout=0.5)
    backend.apply([{"id": "t:1", "kind": "topic", "topic_id": 1, "title": "Roaming", "body": "abroad"}], [])
    import whoosh.codec.whoosh3 as w3

    real = w3.W3Codec.per_document_writer
    calls = {"n": 0}

    def flaky(self, storage, segment):
        calls["n"] += 1
        if calls["n"] == 1:
            raise PermissionError(13, "Permission denied")
        return real(self, storage, segment)

    monkeypatch.setattr(w3.W3Codec, "per_document_writer", flaky)
    with pytest.raises(SearchUnavailable) as first:
        backend.apply([{"id": "t:2", "kind": "topic", "topic_id": 2, "title": "Voicemail", "body": "greeting"}], [])
    assert str(tmp_path) not in str(first.value)
    # Straight away (the failed attempt's traceback still alive), the next write works.
    backend.apply([{"id": "t:2", "kind": "topic", "topic_id": 2, "title": "Voicemail", "body": "greeting"}], [])
    assert backend.search("voicemail").total == 1


@pytest.mark.whoosh_only
def test_the_embedded_indexer_retries_soon_after_a_failure(app, make_user, category, build, monkeypatch):
    import time

    import whoosh.codec.whoosh3 as w3

    real = w3.W3Codec.per_document_writer
    failing = {"on": True}

    def flaky(self, storage, segment):
        if failing["on"]:
            raise PermissionError(13, "Permission denied")
        return real(self, storage, segment)

    app.config["SEARCH_RETRY_SECONDS"] = 0.2
    alice = make_user("alice")
    with build() as b:
        b.topic(category, alice, title="First", body="creates the index")
    monkeypatch.setattr(w3.W3Codec, "per_document_writer", flaky)
    try:
        with build() as b:
            b.topic(category, alice, title="Wombatcase", body="written while the index was unwritable")
        with app.app_context():
            assert db.session.query(SearchOutbox).count() == 1
        failing["on"] = False  # the permission problem is fixed; nobody posts again
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with app.app_context():
                if db.session.query(SearchOutbox).count() == 0:
                    break
            time.sleep(0.05)
        with app.app_context():
            assert db.session.query(SearchOutbox).count() == 0
            assert indexer.get_backend().search("wombatcase").total == 1
    finally:
        app.config["SEARCH_RETRY_SECONDS"] = 0
