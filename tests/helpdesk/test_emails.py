"""Notification email: off, immediate (a delivery hook after the commit), or a daily
digest sent by ``forum notifications send-digests``, which is safe to run twice. Here
each member's choice applies to every kind (``_prefer``); tests/notifications covers
the defaults and the choice per kind."""

from __future__ import annotations

from sqlalchemy import select

from forum.extensions import db
from forum.models import Notification, User
from tests.conftest import read_outbox


def _prefer(app, user, choice):
    from forum.notifications import preferences
    from forum.notify import EMAIL_CATEGORIES

    with app.app_context():
        preferences.set_modes(db.session.get(User, user["id"]), dict.fromkeys(EMAIL_CATEGORIES, choice))
        db.session.commit()


def _mails_to(app, user):
    return [m for m in read_outbox(app) if m["To"] == user["email"]]


def test_off_sends_nothing(app, build, thread):
    _prefer(app, thread["author"], "off")
    before = len(_mails_to(app, thread["author"]))  # the thread's replies, under the defaults
    with build() as b:
        b.reply(thread["topic"], thread["helper"], body="More info")
    assert len(_mails_to(app, thread["author"])) == before


def test_immediate_mails_each_notification_after_commit(app, build, thread):
    _prefer(app, thread["author"], "immediate")
    with app.app_context():  # the thread's earlier replies, read
        from forum.notifications.services import mark_read

        mark_read(db.session.get(User, thread["author"]["id"]))
        db.session.commit()
    before = len(_mails_to(app, thread["author"]))
    with build() as b:
        b.reply(thread["topic"], thread["helper"], body="More info")
    mails = _mails_to(app, thread["author"])[before:]
    assert len(mails) == 1
    assert "helper replied in your topic “No signal in Leeds”" in mails[0]["Subject"]
    assert "/p/" in mails[0].get_content()
    with app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.user_id == thread["author"]["id"],
                                                            Notification.kind == "reply").order_by(Notification.id.desc()))
        assert note.emailed_at is not None
    # Nothing for the author's digest afterwards (the others follow the topic: theirs is daily).
    app.test_cli_runner().invoke(args=["notifications", "send-digests"])
    assert len(_mails_to(app, thread["author"])) == before + 1


def test_rolled_back_reply_mails_nothing(app, thread):
    from forum.topics import services

    _prefer(app, thread["author"], "immediate")
    before = read_outbox(app)
    with app.app_context():
        from forum.models import Topic

        services.reply_to_topic(db.session.get(Topic, thread["topic"]), author=db.session.get(User, thread["helper"]["id"]),
                                body="oops")
        db.session.rollback()
    assert len(read_outbox(app)) == len(before)


def test_daily_digest_is_sent_once(app, build, thread):
    _prefer(app, thread["author"], "daily")
    _prefer(app, thread["helper"], "off")  # they follow the topic too (a digest by default)
    _prefer(app, thread["care"], "off")
    with app.app_context():  # the thread's replies were mailed at once, under the defaults
        from forum.models import Notification as N

        db.session.execute(db.update(N).values(read_at=db.func.current_timestamp()))
        db.session.commit()
    mailed = len(_mails_to(app, thread["author"]))
    with build() as b:
        b.reply(thread["topic"], thread["helper"], body="One")
        b.reply(thread["topic"], thread["care"], body="Two")
    assert len(_mails_to(app, thread["author"])) == mailed  # not immediately
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notifications", "send-digests"])
    assert result.exit_code == 0, result.output
    assert "Sent 1 digest." in result.output
    mails = _mails_to(app, thread["author"])[mailed:]
    assert len(mails) == 1
    body = mails[0].get_content()
    assert "Your daily digest" in mails[0]["Subject"]
    # Both replies, grouped into one notification about the topic.
    assert "2 new replies in “No signal in Leeds”" in body
    # Running it again sends nothing new.
    assert "Sent 0 digests." in runner.invoke(args=["notifications", "send-digests"]).output
    assert len(_mails_to(app, thread["author"])) == mailed + 1
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
    before = len(read_outbox(app))
    assert "Sent 0 digests." in app.test_cli_runner().invoke(args=["notifications", "send-digests"]).output
    assert len(read_outbox(app)) == before
