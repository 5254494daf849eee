"""The index follows the database: after commit only, through the outbox, for
create, edit, hide, restore, move, merge and answers."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

import pytest

from forum.extensions import db
from forum.helpdesk import services as helpdesk
from forum.models import Category, Post, SearchOutbox, Topic, User
from forum.moderation import services as moderation
from forum.search import indexer
from forum.search.index import Filters, SearchBackend
from forum.topics import services as topics


def _ids(backend, text, **filters):
    return {h.doc_id for h in backend.search(text, filters=Filters(**filters), per_page=50).hits}


def test_indexed_after_commit_not_on_rollback(app, make_user, category, backend):
    member = make_user("ann")
    with app.app_context():
        topics.create_topic(db.session.get(Category, category["id"]), author=db.session.get(User, member["id"]),
                            title="Voicemail greeting vanished", body="My voicemail greeting is gone.")
        db.session.flush()
        assert _ids(backend, "voicemail") == set() if backend.exists() else True  # nothing before the commit
        db.session.rollback()
        assert db.session.query(SearchOutbox).count() == 0
        topic = topics.create_topic(db.session.get(Category, category["id"]), author=db.session.get(User, member["id"]),
                                    title="Voicemail greeting vanished", body="My voicemail greeting is gone.")
        db.session.commit()
        assert _ids(backend, "voicemail") == {f"t:{topic.id}"}
        assert db.session.query(SearchOutbox).count() == 0  # applied and cleared


def test_replies_edit_hide_restore(app, build, make_user, category, backend):
    alice, bob, mod = make_user("alice"), make_user("bob"), make_user("mod", role="moderator")
    with build() as b:
        topic = b.topic(category, alice, title="Dropped calls in Leeds", body="Calls drop every evening.")
        reply = b.reply(topic, bob, body="Try turning off wifi calling, it fixed the handset for me.")
        topic_id, reply_id = topic.id, reply.id
    with app.app_context():
        assert f"p:{reply_id}" in _ids(backend, "handset")
        assert _ids(backend, "handset", kind="reply") == {f"p:{reply_id}"}
        post = db.session.get(Post, reply_id)
        topics.edit_post(post, editor=db.session.get(User, bob["id"]), body="Resetting network settings fixed it.")
        db.session.commit()
        assert _ids(backend, "handset") == set()
        assert f"p:{reply_id}" in _ids(backend, "resetting")
        moderation.hide_post(db.session.get(Post, reply_id), actor=db.session.get(User, mod["id"]), reason="spam link")
        db.session.commit()
        assert _ids(backend, "resetting") == set()
        moderation.restore_post(db.session.get(Post, reply_id), actor=db.session.get(User, mod["id"]), reason="not spam")
        db.session.commit()
        assert _ids(backend, "resetting") == {f"p:{reply_id}"}
        # Hiding the opening post takes its text out of the topic document; the title stays.
        first = db.session.query(Post).filter_by(topic_id=topic_id, is_first=True).one()
        moderation.hide_post(first, actor=db.session.get(User, mod["id"]), reason="personal data")
        db.session.commit()
        assert _ids(backend, "evening") == set()
        assert _ids(backend, "leeds") == {f"t:{topic_id}"}


def test_move_and_merge(app, build, make_user, make_category, backend):
    net = make_category()
    billing = make_category("Billing", "billing", "Bills")
    alice, mod = make_user("alice"), make_user("mod", role="moderator")
    with build() as b:
        t1 = b.topic(net, alice, title="Refund for double charge", body="Charged twice for my bundle.")
        b.reply(t1, alice, body="Still waiting for the refund.")
        t2 = b.topic(net, alice, title="Charged twice in March", body="Another double charge.")
        t1_id, t2_id = t1.id, t2.id
    with app.app_context():
        actor = db.session.get(User, mod["id"])
        moderation.move_topic(db.session.get(Topic, t1_id), db.session.get(Category, billing["id"]), actor=actor,
                              reason="billing question")
        db.session.commit()
        assert _ids(backend, "refund", category="billing") == {f"t:{t1_id}", *(f"p:{p.id}" for p in
                                                               db.session.query(Post).filter_by(topic_id=t1_id, is_first=False))}
        assert _ids(backend, "refund", category="network") == set()
        moderation.merge_topic(db.session.get(Topic, t2_id), db.session.get(Topic, t1_id), actor=actor, reason="duplicate")
        db.session.commit()
        found = _ids(backend, "another")
        assert f"t:{t2_id}" not in found  # the merged topic's document is gone
        assert any(i.startswith("p:") for i in found)  # its opening post is now a reply of t1


def test_answers_make_topics_resolved_and_rank_higher(app, build, make_user, category, backend):
    alice, carol, staff = make_user("alice"), make_user("carol"), make_user("agent", role="staff")
    with build() as b:
        t1 = b.topic(category, alice, title="Esim activation stuck", body="The esim will not activate.")
        answer = b.reply(t1, staff, body="Restart the handset after the activation text arrives.")
        t2 = b.topic(category, carol, title="Esim activation stuck again", body="The esim will not activate.")
        t1_id, t2_id, answer_id = t1.id, t2.id, answer.id
    with app.app_context():
        assert _ids(backend, "esim", resolved=True) == set()
        helpdesk.mark_official_answer(db.session.get(Post, answer_id), actor=db.session.get(User, staff["id"]),
                                      reason="confirmed fix")
        db.session.commit()
        assert _ids(backend, "esim", resolved=True) == set()  # answered, not resolved (issue 12)
        helpdesk.accept_solution(db.session.get(Post, answer_id), actor=db.session.get(User, alice["id"]))
        db.session.commit()
        assert _ids(backend, "esim", resolved=True, kind="topic") == {f"t:{t1_id}"}
        assert _ids(backend, "esim", official=True, kind="topic") == {f"t:{t1_id}"}
        assert _ids(backend, "restart", kind="reply", resolved=True) == {f"p:{answer_id}"}
        hits = backend.search("esim activation", filters=Filters(kind="topic")).hits
        assert [h.topic_id for h in hits] == [t1_id, t2_id]  # resolved and official first
        # The answer's text is part of the topic document.
        assert f"t:{t1_id}" in _ids(backend, "restart", kind="topic")


def test_title_outranks_body_and_recency_breaks_ties(app, build, make_user, category, backend, at):
    alice = make_user("alice")
    with build() as b:
        body_only = b.topic(category, alice, title="Question about my contract", body="The tariff upgrade was refused.")
        in_title = b.topic(category, alice, title="Tariff upgrade refused", body="Why was it refused?")
        older = b.topic(category, alice, title="Broadband router lights", body="Red light.")
        newer = b.topic(category, alice, title="Broadband router lights", body="Red light.")
        b.set_activity(older, at(0))
        b.set_activity(newer, at(60))
        ids = body_only.id, in_title.id, older.id, newer.id
    with app.app_context():
        indexer.reindex()  # set_activity wrote activity dates directly
        hits = backend.search("tariff upgrade").hits
        assert hits[0].topic_id == ids[1]
        hits = backend.search("router").hits
        assert [h.topic_id for h in hits] == [ids[3], ids[2]]


def test_stemming_does_not_confuse_roaming_and_room(app, build, make_user, category, backend):
    alice = make_user("alice")
    with build() as b:
        roaming = b.topic(category, alice, title="Roaming in France", body="Roamed all week.")
        room = b.topic(category, alice, title="No signal in my room", body="Rooms upstairs are fine.")
        ids = roaming.id, room.id
    with app.app_context():
        assert _ids(backend, "roaming") == {f"t:{ids[0]}"}
        assert _ids(backend, "roams") == {f"t:{ids[0]}"}  # stemming still works
        assert _ids(backend, "room") == {f"t:{ids[1]}"}


@pytest.mark.whoosh_only
def test_reopens_searcher_on_new_generation(tmp_path):
    """The known Whoosh bug: ``Searcher.refresh()`` keeps merged-away segments. A
    long-lived backend over single-document commits must count each document once
    and never show a deleted one."""
    backend = SearchBackend(str(tmp_path / "index"))
    for i in range(60):
        backend.apply([{"id": f"p:{i}", "kind": "reply", "topic_id": i, "post_id": i, "body": f"signal post {i}",
                        "activity": datetime(2024, 1, 1)}], [])
        page = backend.search("signal", per_page=100)
        assert page.total == i + 1
        assert len({h.doc_id for h in page.hits}) == len(page.hits) == i + 1
    backend.delete(["p:5", "p:6"])
    page = backend.search("signal", per_page=100)
    assert page.total == 58
    assert not {"p:5", "p:6"} & {h.doc_id for h in page.hits}


@pytest.mark.whoosh_only
def test_import_raises_no_warnings():
    result = subprocess.run([sys.executable, "-W", "error", "-c", "import forum.search, forum.search.index"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("payload", ["", "   "])
def test_private_messages_never_indexed(app, make_user, backend, payload):
    from forum.search import documents

    with app.app_context():
        make_user("zed")
        docs = list(documents.all_docs(db.session))
        assert all(d["kind"] in ("topic", "reply", "qa") for d in docs)


@pytest.mark.whoosh_only
def test_in_memory_writers_keep_their_scratch_space_to_themselves(app, backend, monkeypatch):
    """Another process deleting Whoosh's shared scratch folder (``<tmp>/MAIN.tmp``)
    mid-write used to make the writer's cleanup fail before it released the write
    lock, so every later write waited out its lock timeout and failed. In-memory
    indexes keep their scratch files in memory now: nothing on disk can break them."""
    from whoosh.filedb.filestore import FileStorage

    def deleted_by_another_process(self):
        raise FileNotFoundError(self.folder)

    monkeypatch.setattr(FileStorage, "destroy", deleted_by_another_process)
    backend.lock_timeout = 0.2
    doc = {"id": "t:1", "kind": "topic", "topic_id": 1, "title": "Roaming in Spain", "body": "No data abroad"}
    backend.index([doc])
    backend.index([{**doc, "id": "t:2", "topic_id": 2}])  # not locked out
    assert backend.doc_count() == 2
