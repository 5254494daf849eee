"""@mentions: the suggestion endpoint (signed-in only, names only, bounded, bad input
refused) and the notification to the mentioned member (once, never for someone who
cannot see the topic)."""

from __future__ import annotations

from sqlalchemy import select

from forum.composer.mentions import MENTIONS_MAX, mentioned_keys
from forum.extensions import db
from forum.models import Notification, Post, Topic, User
from forum.models.base import utcnow
from forum.topics import services

SUGGEST = "/composer/mentions"


def _notes(app, user_id, kind="mention"):
    with app.app_context():
        return list(db.session.scalars(select(Notification.text).where(Notification.user_id == user_id,
                                                                       Notification.kind == kind)))


def test_mentioned_keys():
    assert mentioned_keys("Hi @Jess_K and @bob.smith. Also @jess_k again") == ["jess_k", "bob.smith"]
    assert mentioned_keys("mail me at a@b.example, see `@code` and\n```\n@fenced\n```") == []
    assert mentioned_keys("@ab is too short; @" + "x" * 31) == []
    assert len(mentioned_keys(" ".join(f"@user{i}" for i in range(50)))) == MENTIONS_MAX


def test_mention_notifies_once_and_not_the_author(app, build, category, make_user):
    author, jess, other = make_user("author"), make_user("jess_k"), make_user("other")
    with build() as b:
        topic = b.topic(category, other)
        b.reply(topic, author, body="Ask @Jess_K, she knows. @jess_k! And @author myself, @nobody-here.")
    notes = _notes(app, jess["id"])
    assert notes == ["author mentioned you in “No 4G indoors in Leeds”."]
    assert _notes(app, author["id"]) == []
    # The topic's author was mentioned too? No: they get their reply notification.
    assert _notes(app, other["id"]) == []
    assert len(_notes(app, other["id"], kind="reply")) == 1


def test_mention_of_topic_author_wins_over_reply_notice(app, build, category, make_user):
    author, asker = make_user("author"), make_user("asker")
    with build() as b:
        topic = b.topic(category, asker)
        b.reply(topic, author, body="@asker try a reset")
    assert _notes(app, asker["id"]) == ["author mentioned you in “No 4G indoors in Leeds”."]
    assert _notes(app, asker["id"], kind="reply") == []


def test_edit_notifies_only_added_names(app, build, category, make_user):
    author, jess, bob = make_user("author"), make_user("jess_k"), make_user("bobby")
    with build() as b:
        topic = b.topic(category, author)
        post_id = b.reply(topic, author, body="cc @jess_k").id
    with build() as b:
        services.edit_post(db.session.get(Post, post_id), editor=db.session.get(User, author["id"]),
                           body="cc @jess_k and @bobby")
    assert len(_notes(app, jess["id"])) == 1
    assert len(_notes(app, bob["id"])) == 1


def test_no_mention_for_who_cannot_see_the_topic(app, build, category, make_user):
    author, gone = make_user("author"), make_user("gone_member")
    with app.app_context():
        db.session.get(User, gone["id"]).deleted_at = utcnow()
        db.session.commit()
    with build() as b:
        topic = b.topic(category, author)
        other = b.topic(category, author, title="Merged away topic")
        db.session.get(Topic, other.id).merged_into_id = topic.id
        b.reply(topic, author, body="@gone_member hello")
    assert _notes(app, gone["id"]) == []


def test_suggestions(app, client, signed_in, make_user):
    for name in ("jess_k", "Jessica", "jester", "bob", "jessak"):
        make_user(name)
    make_user("jess_unverified", verified=False)
    gone = make_user("jess_gone")
    with app.app_context():
        db.session.get(User, gone["id"]).deleted_at = utcnow()
        db.session.commit()
    assert client.get(SUGGEST + "?q=jes").status_code == 302  # anonymous: sign in
    signed_in()
    resp = client.get(SUGGEST + "?q=@JES")
    assert resp.status_code == 200
    users = resp.get_json()["users"]
    assert [u["username"] for u in users] == ["jess_k", "jessak", "Jessica", "jester"]
    # "_" is a character of the name, not a LIKE wildcard.
    assert [u["username"] for u in client.get(SUGGEST + "?q=jess_").get_json()["users"]] == ["jess_k"]
    assert all(set(u) == {"username", "name"} for u in users)
    assert "@example.test" not in resp.get_data(as_text=True)
    for i in range(12):
        make_user(f"many{i:02d}")
    assert len(client.get(SUGGEST + "?q=many").get_json()["users"]) == 8
    for bad in ("", "@", "x" * 31, "a b", "%00", "<script>", "a%"):
        resp = client.get(SUGGEST, query_string={"q": bad.replace("%00", "\x00")})
        assert resp.status_code == 400, bad
        assert "error" in resp.get_json()
