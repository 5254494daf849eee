"""The hostile-input corpora (``shared/security``) as topic titles, shown back in
notification text: the grouped notifications page, the header menu and the mails."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Category, Topic, User
from forum.notifications import queries
from forum.topics import services
from tests.conftest import AuthActions, read_outbox
from tests.corpus import load_corpus
from tests.test_security_corpus import CORPUS_FILES, assert_page_safe


@pytest.fixture(scope="module")
def corpus() -> list:
    entries = [e for name in CORPUS_FILES for e in load_corpus(name)]
    assert len(entries) > 500, "the corpus looks truncated"
    return entries


def test_corpus_titles_in_grouped_notifications(app, client, make_user, make_category, corpus, monkeypatch):
    author, replier = make_user("corpus"), make_user("replier")
    cat = make_category()
    with app.app_context():
        asker = db.session.get(User, author["id"])
        category = db.session.get(Category, cat["id"])
        ids = []
        for entry in corpus[::3]:  # a third of the corpus: each title costs four writes and a mail
            try:
                ids.append(services.create_topic(category, author=asker, title=entry.text, body="Body").id)
            except services.TopicError:
                continue  # refused titles are tests/test_security_corpus.py's business
        db.session.commit()
        other = db.session.get(User, replier["id"])
        for tid in ids:  # twice each, in two actions: the notification is grouped
            services.reply_to_topic(db.session.get(Topic, tid), author=other, body="Same here")
        db.session.commit()
        for tid in ids:
            services.reply_to_topic(db.session.get(Topic, tid), author=other, body="Still")
        db.session.commit()
        titles = dict(db.session.execute(select(Topic.id, Topic.title).where(Topic.id.in_(ids))).all())
    assert len(ids) > 200  # (longer entries are refused as titles)

    AuthActions(client).login("corpus")
    monkeypatch.setattr(queries, "PER_PAGE", len(ids) + 10)
    doc = assert_page_safe(client.get("/notifications"), "notifications page with every corpus title")
    shown = sorted(b.text for b in doc.find("ol", cls="notifications").find_all("button"))
    assert shown == sorted(f"2 new replies in “{titles[tid]}”." for tid in ids)

    menu = client.get("/notifications/menu")
    assert menu.status_code == 200
    assert_page_safe(menu, "the header menu with corpus titles")

    # Every mail (the first reply of each topic, emailed at once by default): one-line
    # subjects, intact unsubscribe headers, whatever the title holds.
    mails = [m for m in read_outbox(app) if m["To"] == author["email"]]
    assert len(mails) >= len(ids)
    for mail in mails:
        assert "\n" not in mail["Subject"]
        assert "\r" not in mail["Subject"]
        assert mail["List-Unsubscribe"].startswith("<http")
        assert mail["List-Unsubscribe"].endswith(">")
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
