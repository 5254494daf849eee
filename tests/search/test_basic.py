import re

from forum.extensions import db
from forum.models import SearchOutbox


def test_topic_is_searchable_after_commit(app, build, make_user, category, search):
    member = make_user("alice")
    with build() as b:
        b.topic(category, member, title="Roaming charges in Spain", body="My bill shows roaming charges in Madrid.")
    status, html = search(q="roaming")
    assert status == 200, html
    assert "Roaming charges in Spain" in html
    assert re.search(r"<mark[^>]*>roaming</mark>", html)
    with app.app_context():
        assert db.session.query(SearchOutbox).count() == 0
