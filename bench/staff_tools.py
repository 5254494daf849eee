"""The staff tools on a generated forum (see generate.py): the staff queue's
assignment filters and the topic page with internal notes, median time and SQL
queries per page.

    .venv/bin/python bench/staff_tools.py --db sqlite:////tmp/bench.db [--repeat 30]

It writes to the bench database first (it is a throw-away copy): one agent claims
every 20th waiting topic, and the biggest topic gets 100 internal notes. Then, signed
in as that agent, it requests /staff/queue with show=all, mine and unassigned, the
biggest topic as the agent, and the same topic as a member (who sees no notes).
"""

from __future__ import annotations

import argparse
import json

from pages import measure
from sqlalchemy import func, insert, select, update

from forum import create_app
from forum.extensions import db
from forum.models import InternalNote, Topic, User
from forum.models.base import utcnow

PASSWORD = "bench-password-123"  # noqa: S105 - the generated users share it (generate.py)


def prepare(app) -> tuple[str, str, int]:
    """Claims and notes (idempotent: a second run adds nothing)."""
    with app.app_context():
        agent = db.session.scalar(select(User).where(User.role == "staff").order_by(User.id))
        member = db.session.scalar(select(User).where(User.role == "member").order_by(User.id))
        big = db.session.scalar(select(Topic).order_by(Topic.reply_count.desc(), Topic.id))
        waiting = select(Topic.id).where(Topic.state.in_(("waiting", "reopened")))
        ids = [i for n, i in enumerate(db.session.scalars(waiting.order_by(Topic.id))) if n % 20 == 0]
        db.session.execute(update(Topic).where(Topic.id.in_(ids)).values(claimed_by_id=agent.id, claimed_at=utcnow()))
        if not db.session.scalar(select(func.count(InternalNote.id)).where(InternalNote.topic_id == big.id)):
            db.session.execute(insert(InternalNote), [
                {"topic_id": big.id, "author_id": agent.id, "body": f"Note {i}", "body_html": f"<p>Note {i}</p>",
                 "created_at": utcnow()} for i in range(100)
            ])
        db.session.commit()
        return agent.username, member.username, big.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False})
    agent, member, big = prepare(app)
    with app.app_context():
        engine = db.engine
        topics = db.session.scalar(select(func.count(Topic.id)))
        claimed = db.session.scalar(select(func.count(Topic.id)).where(Topic.claimed_by_id.is_not(None)))
    results = []
    for username, paths in ((agent, ["/staff/queue", "/staff/queue?show=mine", "/staff/queue?show=unassigned",
                                     f"/t/{big}"]), (member, [f"/t/{big}"])):
        client = app.test_client()
        assert client.post("/login", data={"login": username, "password": PASSWORD}).status_code == 302
        results += [{**measure(client, engine, p, args.repeat), "as": username} for p in paths]
    print(json.dumps({"db": engine.dialect.name, "topics": topics, "claimed": claimed, "pages": results}, indent=1))


if __name__ == "__main__":
    main()
