"""``forum search reindex`` and ``forum search check``."""

from __future__ import annotations

import pytest

from forum.extensions import db
from forum.models import Post, SearchOutbox, User
from forum.search import documents, indexer
from forum.topics import services as topics


def test_reindex_then_check_passes(app, build, make_user, category, runner, backend):
    alice = make_user("alice")
    with build() as b:
        t = b.topic(category, alice, title="Number port stuck", body="PAC code rejected.")
        b.reply(t, alice, body="Still stuck after two days.")
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 2 documents" in result.output
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output
    assert "matches the database" in result.output


def test_check_fails_on_a_stale_index(app, build, make_user, category, runner, backend):
    alice = make_user("alice")
    with build() as b:
        t = b.topic(category, alice, title="Number port stuck", body="PAC code rejected.")
        reply = b.reply(t, alice, body="Still stuck after two days.")
        reply_id, topic_id = reply.id, t.id
    with app.app_context():
        # Deliberately break the index: an old text for the reply, the topic gone, a stray document.
        doc = dict(next(d for _, d in documents.reply_docs(db.session, post_ids=[reply_id])))
        doc["body"], doc["sig"] = "old text", "0"
        backend.apply([doc, {"id": "p:999", "kind": "reply", "topic_id": 1, "sig": "x"}], [f"t:{topic_id}"])
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1, result.output
    assert f"missing: 1: t:{topic_id}" in result.output
    assert f"stale: 1: p:{reply_id}" in result.output
    assert "extra: 1: p:999" in result.output
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    assert runner.invoke(args=["search", "check"]).exit_code == 0


@pytest.mark.whoosh_only  # the postgresql variant: tests/search/test_pg.py
def test_edits_during_a_rebuild_are_not_lost(app, build, make_user, category, backend, monkeypatch):
    alice = make_user("alice")
    with build() as b:
        t = b.topic(category, alice, title="Roaming bundle missing", body="Bought a bundle.")
        post_id = b.reply(t, alice, body="Nothing yet.").id
    app.config["SEARCH_INLINE_INDEXER"] = False  # rows wait, as with `forum search work`
    try:
        real_rebuild = backend.rebuild

        def rebuild_with_an_edit_in_the_middle(docs, on_doc=None):
            docs = list(docs)  # the snapshot has been read ...
            with app.app_context():  # ... then a member edits (another request)
                topics.edit_post(db.session.get(Post, post_id), editor=db.session.get(User, alice["id"]),
                                 body="The voicemail bundle arrived.")
                db.session.commit()
            return real_rebuild(docs, on_doc=on_doc)

        monkeypatch.setattr(backend, "rebuild", rebuild_with_an_edit_in_the_middle)
        with app.app_context():
            summary = indexer.reindex()
            assert summary["applied_after"] == 1
            assert {h.doc_id for h in backend.search("voicemail").hits} == {f"p:{post_id}"}
            assert db.session.query(SearchOutbox).count() == 0
            assert indexer.check()["stale"] == []
    finally:
        app.config["SEARCH_INLINE_INDEXER"] = True


@pytest.mark.whoosh_only  # the postgresql variant: tests/search/test_pg.py
def test_work_once_applies_pending_rows(app, build, make_user, category, runner, backend):
    app.config["SEARCH_INLINE_INDEXER"] = False
    try:
        alice = make_user("alice")
        with build() as b:
            b.topic(category, alice, title="Contract upgrade offer", body="Is it real?")
        with app.app_context():
            assert db.session.query(SearchOutbox).count() == 1
        result = runner.invoke(args=["search", "work", "--once"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            assert db.session.query(SearchOutbox).count() == 0
            assert backend.search("contract").total == 1
    finally:
        app.config["SEARCH_INLINE_INDEXER"] = True
