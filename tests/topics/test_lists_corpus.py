"""The security corpora as topic titles in the lists a signed-in member sees: the board
(with "new"/"unread" markers), the home page's latest topics and the asker's profile
activity. (Visitors' board and home pages: tests/test_security_corpus.py.)"""

from __future__ import annotations

from forum.extensions import db
from forum.models import Category, Topic, User
from forum.topics import services
from tests.conftest import AuthActions
from tests.corpus import load_corpus
from tests.test_security_corpus import CORPUS_DIR, CORPUS_FILES, assert_page_safe


def test_corpus_titles_in_members_lists(app, make_user, make_category, monkeypatch):
    entries = [e for name in CORPUS_FILES for e in load_corpus(name, CORPUS_DIR)][::7]
    monkeypatch.setitem(app.config, "TOPICS_PER_PAGE", len(entries) + 10)
    _reader, asker = make_user("reader"), make_user("asker")
    cat = make_category()
    titles = {}
    with app.app_context():
        author, category = db.session.get(User, asker["id"]), db.session.get(Category, cat["id"])
        for entry in entries:
            try:
                topic = services.create_topic(category, author=author, title=entry.text, body="Body")
            except services.TopicError:
                continue
            titles[topic.id] = topic.title
        db.session.commit()
        read_some = list(titles)[::2]
    client = app.test_client()
    assert AuthActions(client).login("reader").status_code == 302
    for tid in read_some[:20]:
        client.get(f"/t/{tid}")
    with app.app_context():
        reply_to = db.session.get(Topic, read_some[0])
        services.reply_to_topic(reply_to, author=db.session.get(User, asker["id"]), body="News")
        db.session.commit()
    doc = assert_page_safe(client.get(f"/c/{cat['slug']}"), "board with corpus titles, signed in")
    listed = {int(a.get("href").split("/t/")[1].split("-")[0]): a.text for a in doc.find_all("a", cls="topic-title")}
    assert listed == titles
    assert doc.find("a", cls="tag-new")
    assert doc.find("a", cls="tag-unread")
    assert_page_safe(client.get("/"), "home page with corpus titles, signed in")
    assert_page_safe(client.get("/u/asker"), "profile activity with corpus titles")
