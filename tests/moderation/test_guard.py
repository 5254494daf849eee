"""The no-silent-edit guard against the bulk paths that skip the flush: ORM bulk UPDATE by
primary key, ``Session.bulk_update_mappings``, ``bulk_save_objects`` and Core
``connection.execute``. The edit service's own flush, and bulk writes of other columns,
still go through."""

from __future__ import annotations

import pytest
from sqlalchemy import event, update
from sqlalchemy.exc import IntegrityError

from forum.extensions import db
from forum.models import Post, SilentEditError, Topic, revisions
from forum.topics import services as topics

ORIGINAL = "My number is 07700 900123, call me."

#: (model, attribute, the world key of its row's id)
GUARDED = [(Post, "body", "reply"), (Post, "body_html", "reply"), (Topic, "title", "topic")]
IDS = ["post.body", "post.body_html", "topic.title"]


def _unchanged(world, get) -> None:
    db.session.rollback()
    assert get.post(world["reply"]).body == ORIGINAL
    assert get.post(world["reply"]).body_html.count("07700 900123") == 1
    assert get.topic(world["topic"]).title == "No 4G indoors in Leeds"


@pytest.mark.parametrize(("model", "attr", "key"), GUARDED, ids=IDS)
def test_orm_bulk_update_by_primary_key_is_refused(app_ctx, world, get, model, attr, key):
    with pytest.raises(SilentEditError, match="bypasses revisions"):
        db.session.execute(update(model), [{"id": world[key], attr: "Silently changed"}])
    _unchanged(world, get)


@pytest.mark.parametrize(("model", "attr", "key"), GUARDED, ids=IDS)
def test_bulk_update_mappings_is_refused(app_ctx, world, get, model, attr, key):
    with pytest.raises(SilentEditError, match="bypasses revisions"):
        db.session.bulk_update_mappings(model, [{"id": world[key], attr: "Silently changed"}])
    _unchanged(world, get)


def test_bulk_save_objects_and_core_updates_are_refused(app_ctx, world, get):
    post = get.post(world["reply"])
    post.body = "Silently changed"
    with pytest.raises(SilentEditError, match="bypasses revisions"):
        db.session.bulk_save_objects([post])
    _unchanged(world, get)
    with pytest.raises(SilentEditError, match="bypasses revisions"):
        db.session.connection().execute(update(Post.__table__).where(Post.id == world["reply"]).values(body="x"))
    _unchanged(world, get)
    with pytest.raises(SilentEditError, match="bypasses revisions"):
        db.session.connection().execute(update(Topic.__table__), {"title": "x"})
    _unchanged(world, get)


def test_bulk_writes_of_other_columns_still_work(app_ctx, world, get):
    db.session.execute(update(Post), [{"id": world["reply"], "kudos_count": 3}])
    db.session.bulk_update_mappings(Topic, [{"id": world["topic"], "reply_count": 7}])
    db.session.commit()
    assert get.post(world["reply"]).kudos_count == 3
    assert get.topic(world["topic"]).reply_count == 7


def test_the_edit_service_still_writes_and_a_failed_flush_leaves_no_opening(app_ctx, world, get):
    post, alice = get.post(world["reply"]), get.user(world, "author")
    topics.edit_post(post, editor=alice, body="Call the shop instead.")
    topics.edit_topic_title(get.topic(world["topic"]), editor=alice, title="No 4G indoors in Leeds LS1")
    db.session.commit()
    assert get.post(world["reply"]).body == "Call the shop instead."
    # A flush that fails half-way through its UPDATE of posts must not leave its mark
    # on the connection, which goes back to the pool and would let bulk writes through.
    infos = []
    grab = lambda mapper, connection, target: infos.append(connection.info)  # noqa: E731
    event.listen(Post, "before_update", grab)
    try:
        get.post(world["reply"]).author_id = 10**9
        with pytest.raises(IntegrityError):
            db.session.flush()
    finally:
        event.remove(Post, "before_update", grab)
    db.session.rollback()
    assert infos
    assert all(revisions._FLUSHING_TEXT not in info for info in infos)
    with pytest.raises(SilentEditError, match="bypasses revisions"):
        db.session.bulk_update_mappings(Post, [{"id": world["reply"], "body": "Silently changed"}])
    db.session.rollback()
    assert get.post(world["reply"]).body == "Call the shop instead."
