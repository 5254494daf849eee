"""The shared notification and moderation-log cores."""

import pytest
from sqlalchemy import func, select

from forum.audit import ReasonRequired, log_action
from forum.extensions import db
from forum.models import ModerationLogEntry, Notification, User
from forum.models.moderation import ModerationLogImmutable
from forum.notify import notify
from tests.conftest import csrf_token


def _count(user_id=None):
    stmt = select(func.count(Notification.id))
    if user_id is not None:
        stmt = stmt.where(Notification.user_id == user_id)
    return db.session.scalar(stmt)


def test_notify_writes_only_after_commit_and_never_to_the_actor(app, make_user):
    a, b, c = make_user("ann"), make_user("bob"), make_user("cat")
    with app.app_context():
        actor = db.session.get(User, a["id"])
        notify([a["id"], b["id"], c["id"], b["id"]], kind="reply", text="Ann replied", url="/t/1", actor=actor)
        assert _count() == 0  # nothing before the commit
        db.session.commit()
        assert _count(a["id"]) == 0
        assert _count(b["id"]) == 1
        assert _count(c["id"]) == 1


def test_rollback_drops_queued_notifications(app, make_user):
    b = make_user("bob")
    with app.app_context():
        notify([b["id"]], kind="reply", text="x", url="/t/1")
        db.session.rollback()
        db.session.commit()
        assert _count() == 0


def test_grouped_notifications_merge_while_unread(app, make_user):
    b = make_user("bob")
    with app.app_context():
        for _ in range(3):
            notify([b["id"]], kind="kudos", text="1 person gave kudos", url="/p/1", group_key="kudos:1",
                   grouped_text=lambda n: f"{n} people gave kudos to your post")
            db.session.commit()
        notes = list(db.session.scalars(select(Notification).where(Notification.user_id == b["id"])))
        assert len(notes) == 1
        assert notes[0].count == 3
        assert notes[0].text == "3 people gave kudos to your post"


def test_notifications_page_header_count_and_open(app, client, auth, make_user):
    b = make_user("bob")
    with app.app_context():
        notify([b["id"]], kind="reply", text="Ann replied to your topic", url="/t/1", actor=None)
        db.session.commit()
        note_id = db.session.scalar(select(Notification.id))
    auth.login("bob")
    home = client.get("/").get_data(as_text=True)
    assert '1 unread' in home
    page = client.get("/notifications").get_data(as_text=True)
    assert "Ann replied to your topic" in page
    resp = client.post(f"/notifications/{note_id}/open", data={"csrf_token": csrf_token(client, "/notifications")})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/t/1")
    assert "unread" not in client.get("/").get_data(as_text=True).split("</header>")[0]
    with app.app_context():
        assert db.session.get(Notification, note_id).read_at is not None


def test_notifications_are_private(app, client, auth, make_user):
    b, _c = make_user("bob"), make_user("cat")
    with app.app_context():
        notify([b["id"]], kind="reply", text="for bob only", url="/t/1")
        db.session.commit()
        note_id = db.session.scalar(select(Notification.id))
    assert client.get("/notifications").status_code == 302  # anonymous -> login
    auth.login("cat")
    assert "for bob only" not in client.get("/notifications").get_data(as_text=True)
    resp = client.post(f"/notifications/{note_id}/open", data={"csrf_token": csrf_token(client, "/notifications")})
    assert resp.status_code == 404
    assert client.post("/notifications/read", data={}).status_code == 400  # no CSRF token
    with app.app_context():
        assert db.session.get(Notification, note_id).read_at is None


@pytest.mark.parametrize("raw", ["99999999999999999999", "2147483648", "0", "-1", "１"])
def test_a_notification_id_out_of_range_is_404(client, auth, make_user, raw):
    make_user("bob")
    auth.login("bob")
    token = csrf_token(client, "/notifications")
    assert client.post(f"/notifications/{raw}/open", data={"csrf_token": token}).status_code == 404


def test_moderation_log_needs_a_reason_and_is_append_only(app, make_user):
    m = make_user("mod", role="moderator")
    with app.app_context():
        mod = db.session.get(User, m["id"])
        with pytest.raises(ReasonRequired):
            log_action(mod, "lock_topic", target_type="topic", target_id=1, reason="  ")
        entry = log_action(mod, "change_role", target_type="user", target_id=mod.id, reason="Promoted", summary="x")
        db.session.commit()
        assert entry.actor_role == "moderator"
        entry.reason = "rewritten"
        with pytest.raises(ModerationLogImmutable):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.get(ModerationLogEntry, entry.id))
        with pytest.raises(ModerationLogImmutable):
            db.session.flush()
        db.session.rollback()
        assert db.session.get(ModerationLogEntry, entry.id).reason == "Promoted"
