"""Notification email: off, immediate (a delivery hook after the commit), or a daily
digest sent by ``forum notifications send-digests``, which is safe to run twice."""

from __future__ import annotations

from sqlalchemy import select

from forum.extensions import db
from forum.models import Notification, User
from tests.conftest import read_outbox


def _prefer(app, user, choice):
    with app.app_context():
        db.session.get(User, user["id"]).email_notifications = choice
        db.session.commit()


def test_off_sends_nothing(app, build, thread):
    with build() as b:
        b.reply(thread["topic"], thread["helper"], body="More info")
    assert [m for m in read_outbox(app) if m["To"] == thread["author"]["email"]] == []


def test_immediate_mails_each_notification_after_commit(app, build, thread):
    _prefer(app, thread["author"], "immediate")
    with build() as b:
        b.reply(thread["topic"], thread["helper"], body="More info")
    mails = [m for m in read_outbox(app) if m["To"] == thread["author"]["email"]]
    assert len(mails) == 1
    assert "helper replied in “No signal in Leeds”" in mails[0]["Subject"]
    assert "/p/" in mails[0].get_content()
    with app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.user_id == thread["author"]["id"],
                                                            Notification.kind == "reply").order_by(Notification.id.desc()))
        assert note.emailed_at is not None
    # Nothing for the digest afterwards.
    assert "Sent 0 digests." in app.test_cli_runner().invoke(args=["notifications", "send-digests"]).output


def test_rolled_back_reply_mails_nothing(app, thread):
    from forum.topics import services

    _prefer(app, thread["author"], "immediate")
    with app.app_context():
        from forum.models import Topic

        services.reply_to_topic(db.session.get(Topic, thread["topic"]), author=db.session.get(User, thread["helper"]["id"]),
                                body="oops")
        db.session.rollback()
    assert read_outbox(app) == []


def test_daily_digest_is_sent_once(app, build, thread):
    _prefer(app, thread["author"], "daily")
    with build() as b:
        b.reply(thread["topic"], thread["helper"], body="One")
        b.reply(thread["topic"], thread["care"], body="Two")
    assert [m for m in read_outbox(app) if m["To"] == thread["author"]["email"]] == []  # not immediately
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notifications", "send-digests"])
    assert result.exit_code == 0, result.output
    assert "Sent 1 digest." in result.output
    mails = [m for m in read_outbox(app) if m["To"] == thread["author"]["email"]]
    assert len(mails) == 1
    body = mails[0].get_content()
    assert "Your daily digest" in mails[0]["Subject"]
    assert "helper replied in" in body
    assert "care replied in" in body
    # Running it again sends nothing new.
    assert "Sent 0 digests." in runner.invoke(args=["notifications", "send-digests"]).output
    assert len([m for m in read_outbox(app) if m["To"] == thread["author"]["email"]]) == 1
    # A later notification goes into the next digest.
    with build() as b:
        b.reply(thread["topic"], thread["helper"], body="Three")
    assert "Sent 1 digest." in runner.invoke(args=["notifications", "send-digests"]).output


def test_digest_skips_notifications_already_read(app, build, thread):
    _prefer(app, thread["helper"], "daily")
    from forum.notifications.services import mark_read

    with app.app_context():
        mark_read(db.session.get(User, thread["helper"]["id"]))
        db.session.commit()
    assert "Sent 0 digests." in app.test_cli_runner().invoke(args=["notifications", "send-digests"]).output
    assert read_outbox(app) == []
