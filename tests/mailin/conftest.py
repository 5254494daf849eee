"""Reply by email: a topic with a member who can reply, and mails to build and send."""

from __future__ import annotations

import itertools
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.mailin import tokens
from forum.models import Category, Post, User
from forum.topics import services as topic_services

DOMAIN = "reply.community.example"
_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _reply_by_email_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_REPLY_DOMAIN", DOMAIN)
    monkeypatch.setitem(app.config, "SITE_URL", "http://localhost")


@pytest.fixture
def forum_setup(app, make_user, make_category):
    """A topic started by ``asker``; ``member`` (verified) will reply by email."""
    asker = make_user("asker")
    member = make_user("jess_k", email="Jess.K@example.test")
    cat = make_category()
    with app.app_context():
        topic = topic_services.create_topic(
            db.session.get(Category, cat["id"]), author=db.session.get(User, asker["id"]),
            title="No 4G in Leeds since Monday", body="Since Monday I have no 4G at home.",
        )
        db.session.commit()
        topic_id = topic.id
    return {"asker": asker, "member": member, "topic_id": topic_id}


def reply_address(app, user_id: int, kind: str, target_id: int) -> str:
    with app.app_context():
        return tokens.reply_address(user_id, kind, target_id)


def build_mail(to: str, body: str = "Restarting the phone fixed it for me.", *, sender: str = "Jess K <Jess.K@example.test>",
               subject: str = "Re: [Connect Community] asker started a topic", html: str | None = None,
               message_id: str | None = None, headers: dict[str, str] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(idstring=str(next(_ids)), domain="mail.example.test")
    msg["Date"] = "Tue, 01 Dec 2026 18:00:00 +0000"
    for name, value in (headers or {}).items():
        msg[name] = value
    if body is not None:
        msg.set_content(body)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    return msg.as_bytes()


def topic_replies(app, topic_id: int) -> list[str]:
    """The bodies of the topic's replies, oldest first."""
    with app.app_context():
        return list(db.session.scalars(
            select(Post.body).where(Post.topic_id == topic_id, Post.is_first.is_(False)).order_by(Post.id)))
