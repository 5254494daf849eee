"""Time the account export and deletion for a prolific member (a throwaway SQLite
database): N posts over N/50 topics, N/10 messages, N/5 notifications, and as many
other members' notifications naming them.

    nice -n 10 .venv/bin/python bench/self_service.py [--posts 5000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade

from forum import create_app
from forum.accounts import self_service
from forum.accounts import services as account_services
from forum.extensions import db
from forum.models import Category, Conversation, ConversationParticipant, Message, Notification, Post, Topic, User


def _seed(posts: int) -> int:
    hash_ = account_services.hash_password("bench-password-1")
    member = User(username="prolific", username_key="prolific", email="p@example.com", email_key="p@example.com",
                  password_hash=hash_)
    other = User(username="other", username_key="other", email="o@example.com", email_key="o@example.com",
                 password_hash=hash_)
    cat = Category(name="Bench", slug="bench", description="", position=1)
    db.session.add_all([member, other, cat])
    db.session.flush()
    topics = []
    for i in range(max(1, posts // 50)):
        t = Topic(category_id=cat.id, author_id=member.id, title=f"Bench topic {i}")
        topics.append(t)
    db.session.add_all(topics)
    db.session.flush()
    db.session.add_all(Post(topic_id=topics[i % len(topics)].id, author_id=member.id, body=f"Post {i} " * 20,
                            body_html=f"<p>Post {i}</p>", is_first=i < len(topics)) for i in range(posts))
    conv = Conversation(kind="direct", subject="Bench", started_by_id=member.id)
    db.session.add(conv)
    db.session.flush()
    db.session.add_all([ConversationParticipant(conversation_id=conv.id, user_id=member.id),
                        ConversationParticipant(conversation_id=conv.id, user_id=other.id)])
    db.session.add_all(Message(conversation_id=conv.id, author_id=(member.id, other.id)[i % 2], body=f"Message {i}",
                               body_html=f"<p>Message {i}</p>") for i in range(posts // 10))
    db.session.add_all(Notification(user_id=member.id, kind="reply", text=f"other replied {i}", url="/", actor_id=other.id)
                       for i in range(posts // 5))
    db.session.add_all(Notification(user_id=other.id, kind="reply", text=f"prolific replied {i}", url="/",
                                    actor_id=member.id) for i in range(posts // 5))
    db.session.commit()
    return member.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.sqlite'}", "SECRET_KEY": "bench",
                          "SEARCH_INDEX_DIR": None, "MAIL_OUTBOX": str(Path(tmp) / "outbox"),
                          "SERVER_NAME": "localhost", "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
        with app.app_context(), app.test_request_context():
            upgrade()
            uid = _seed(args.posts)
            user = db.session.get(User, uid)
            start = time.perf_counter()
            body = json.dumps(self_service.export_data(user), ensure_ascii=False, indent=2)
            export_s = time.perf_counter() - start
            start = time.perf_counter()
            self_service.delete_account(user, password="bench-password-1")  # noqa: S106 - a throwaway database
            db.session.commit()
            delete_s = time.perf_counter() - start
            db.engine.dispose()
    print(f"{args.posts} posts: export {export_s * 1000:.0f} ms ({len(body) / 1e6:.1f} MB of JSON), "
          f"delete {delete_s * 1000:.0f} ms")


if __name__ == "__main__":
    main()
