"""What only the PostgreSQL search backend does: documents written in the commit of
the change itself (so every host sees them at once), word counts kept exact,
``forum search reindex`` while members post, and the start-up check."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from forum import create_app
from forum.extensions import db
from forum.models import Post, SearchOutbox, User
from forum.moderation import services as moderation
from forum.search import documents, indexer, pg
from forum.topics import services as topics


@pytest.fixture
def pg_backend(search_backend):
    if search_backend != "postgresql":
        pytest.skip("about the postgresql search backend")
    return search_backend


def _other_host(app):
    """A second connection, as another web host would have."""
    return create_engine(app.config["SQLALCHEMY_DATABASE_URI"])


def test_a_commit_and_its_documents_land_together(app, pg_backend, build, make_user, category, backend):
    alice = make_user("alice")
    other = _other_host(app)
    try:
        with app.app_context():
            from forum.models import Category

            topics.create_topic(db.session.get(Category, category["id"]), author=db.session.get(User, alice["id"]),
                                        title="Quokkaphone setup", body="Where is the quokkaphone menu?")
            db.session.flush()
            with other.connect() as conn:  # not committed: nobody else sees it yet
                assert conn.scalar(text("SELECT count(*) FROM search_documents")) == 0
            db.session.rollback()
        with other.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM search_documents")) == 0
        with build() as b:
            b.topic(category, alice, title="Quokkaphone setup", body="Where is the quokkaphone menu?")
        with other.connect() as conn:  # committed: in the search table, and no outbox row left
            assert conn.scalar(text("SELECT count(*) FROM search_documents WHERE tsv @@ to_tsquery('english', 'quokkaphon')")) == 1
            assert conn.scalar(text("SELECT count(*) FROM search_outbox")) == 0
    finally:
        other.dispose()
    with app.app_context():
        assert backend.search("quokkaphone").total == 1
        assert indexer.check()["missing"] == []


def _words(app) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(text("SELECT word, docs FROM search_words")).all())


def test_word_counts_stay_exact_through_edits_and_hiding(app, pg_backend, build, make_user, category, backend):
    alice, mod = make_user("alice"), make_user("mod", role="moderator")
    with build() as b:
        t = b.topic(category, alice, title="Roaming in Lisbon", body="Roaming data stopped in Lisbon.")
        reply_id = b.reply(t, alice, body="Lisbon again: roaming fixed after restart.").id
        b.topic(category, alice, title="Voicemail greeting", body="How do I record one?")
    counts = _words(app)
    assert (counts["lisbon"], counts["roaming"], counts["voicemail"]) == (2, 2, 1)
    with app.app_context():
        topics.edit_post(db.session.get(Post, reply_id), editor=db.session.get(User, alice["id"]),
                         body="Porto now, and the data works.")
        db.session.commit()
    counts = _words(app)
    assert (counts["lisbon"], counts["porto"], counts["roaming"]) == (1, 1, 1)
    with app.app_context():
        moderation.hide_post(db.session.get(Post, reply_id), actor=db.session.get(User, mod["id"]), reason="spam")
        db.session.commit()
    counts = _words(app)
    assert "porto" not in counts
    with app.app_context():  # the same as counting from scratch
        pg.recount_words(db.session)
        recounted = dict(db.session.execute(text("SELECT word, docs FROM search_words")).all())
        db.session.rollback()
    assert recounted == counts


def test_edits_during_a_reindex_are_not_lost(app, pg_backend, build, make_user, category, backend, monkeypatch):
    """The reindex reads its list of sources, a member edits, then the batches run:
    each batch reads the current text, so the edit is what ends up indexed."""
    alice = make_user("alice")
    with build() as b:
        t = b.topic(category, alice, title="Roaming bundle missing", body="Bought a bundle.")
        post_id = b.reply(t, alice, body="Nothing yet.").id
    real_writing = backend._writing
    edited = []

    def writing_after_an_edit(session):
        if not edited:
            edited.append(True)
            with app.app_context():  # another request, committed
                topics.edit_post(db.session.get(Post, post_id), editor=db.session.get(User, alice["id"]),
                                 body="The voicemail bundle arrived.")
                db.session.commit()
        return real_writing(session)

    monkeypatch.setattr(backend, "_writing", writing_after_an_edit)
    with app.app_context():
        summary = indexer.reindex()
        assert summary["documents"] == 2
        assert {h.doc_id for h in backend.search("voicemail").hits} == {f"p:{post_id}"}
        report = indexer.check()
        assert (report["missing"], report["stale"], report["extra"], report["pending"]) == ([], [], [], 0)


def test_a_document_named_twice_is_stored_once(app, pg_backend, build, make_user, category, backend, runner):
    alice = make_user("alice")
    with build() as b:
        t = b.topic(category, alice, title="Number port stuck", body="PAC code rejected.")
        reply_id = b.reply(t, alice, body="Still stuck.").id
    with app.app_context():
        docs = list(documents.all_docs(db.session))
        reply_doc = next(d for d in docs if d["id"] == f"p:{reply_id}")
    backend.rebuild(docs + [reply_doc])
    backend.apply([reply_doc, reply_doc], [])
    assert backend.duplicates() == {}
    assert backend.doc_count() == 2
    assert runner.invoke(args=["search", "check"]).exit_code == 0


def test_reindex_removes_documents_whose_source_is_gone(app, pg_backend, build, make_user, category, backend, runner):
    alice = make_user("alice")
    with build() as b:
        b.topic(category, alice, title="Contract upgrade offer", body="Is it real?")
    backend.apply([{"id": "p:999", "kind": "reply", "topic_id": 1, "body": "ghost text", "sig": "x"}], [])
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert "extra: 1: p:999" in result.output
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert backend.search("ghost").total == 0
        assert "ghost" not in dict(db.session.execute(text("SELECT word, docs FROM search_words")).all())


def test_work_once_applies_rows_queued_outside_a_request(app, pg_backend, build, make_user, category, runner, backend):
    """A script that writes outbox rows on its own connection: ``forum search work``
    (or the next commit's drain) applies them."""
    alice = make_user("alice")
    with build() as b:
        topic_id = b.topic(category, alice, title="Contract upgrade offer", body="Is it real?").id
    with app.app_context():
        db.session.execute(text("DELETE FROM search_documents"))
        db.session.add(SearchOutbox(doc_type="topic", doc_id=topic_id))
        db.session.commit()  # no transaction state: a row like any script's
        assert backend.search("contract").total == 0
    result = runner.invoke(args=["search", "work", "--once"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.query(SearchOutbox).count() == 0
        assert backend.search("contract").total == 1


@pytest.mark.parametrize(("backend_name", "url", "message"), [
    ("postgresql", "sqlite:///:memory:", "needs a PostgreSQL database"),
    ("elastic", "sqlite:///:memory:", "must be one of whoosh, postgresql"),
])
def test_a_wrong_backend_setting_stops_the_app_at_start_up(backend_name, url, message, tmp_path):
    with pytest.raises(RuntimeError, match=message):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                    "SEARCH_BACKEND": backend_name, "MAIL_OUTBOX": str(tmp_path / "outbox")})


@pytest.mark.parametrize(("typed", "expected"), [
    ("Wi-Fi Calling", "wi fi wifi calling"), ("can't", "cant"), ("Café color", "cafe colour"), ("", ""),
])
def test_indexed_text_is_normalised_like_the_whoosh_analyzer(typed, expected):
    assert pg.index_text(typed) == expected


@pytest.mark.parametrize(("a", "b", "limit", "distance"), [
    ("roaming", "roamimg", 1, 1), ("parental", "parentle", 2, 2), ("porntl", "parental", 1, 2), ("", "abc", 5, 3),
])
def test_edit_distance(a, b, limit, distance):
    assert pg.edit_distance(a, b, limit) == distance


def test_a_database_error_while_searching_is_a_degraded_notice(app, pg_backend, build, make_user, category, search,
                                                               monkeypatch):
    from sqlalchemy.exc import OperationalError

    alice = make_user("alice")
    with build() as b:
        b.topic(category, alice, title="Roaming in Spain", body="No data abroad.")

    def broken(self, *args, **kwargs):
        raise OperationalError("SELECT ...", {}, Exception("could not connect to server at 10.0.0.5"))

    monkeypatch.setattr(pg.PostgresBackend, "_slots", broken)
    status, html = search(q="roaming")
    assert status == 503
    assert "Search is unavailable right now." in html
    assert "10.0.0.5" not in html
    monkeypatch.undo()
    status, html = search(q="roaming")
    assert status == 200
    assert "Roaming in Spain" in html
