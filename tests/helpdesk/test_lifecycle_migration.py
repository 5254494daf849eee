"""The issue-12 migration works out each existing topic's case state from the stored data."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from forum import create_app
from forum.extensions import db

T = "2026-11-01 10:{:02d}:00"


def test_existing_topics_get_a_sensible_state(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite'}",
                      "MAIL_OUTBOX": str(tmp_path / "outbox")})
    with app.app_context():
        upgrade(revision="issue18_sessions")
        run = lambda sql, **kw: db.session.execute(text(sql), kw)  # noqa: E731
        for uid, role in ((1, "member"), (2, "member"), (3, "staff")):
            run("INSERT INTO users (id, username, username_key, email, email_key, password_hash, role, created_at, "
                "email_notifications) VALUES (:i, :n, :n, :e, :e, 'x', :r, :t, 'off')",
                i=uid, n=f"user{uid}", e=f"user{uid}@example.test", r=role, t=T.format(0))
        run("INSERT INTO categories (id, name, slug, description, position, topic_count, created_at) VALUES "
            "(1, 'Network', 'network', '', 1, 0, :t), (2, 'Announcements', 'announcements', '', 2, 0, :t)", t=T.format(0))
        # topic id, category, author, is_resolved, posts as (minute, author)
        topics = {
            1: (1, 1, False, [(1, 1)]),                      # never answered: waiting since asked
            2: (1, 1, False, [(1, 1), (2, 3)]),              # staff wrote last: answered
            3: (1, 1, False, [(1, 1), (2, 3), (5, 1), (6, 2)]),  # members wrote after staff: waiting since 10:05
            4: (1, 1, True, [(1, 1), (2, 2)]),               # resolved
            5: (1, 3, False, [(1, 3), (2, 1)]),              # staff started it: no case
            6: (2, 1, False, [(1, 1)]),                      # in Announcements: no case
        }
        pid = 0
        for tid, (cat, author, resolved, posts) in topics.items():
            last_minute, last_author = posts[-1]
            run("INSERT INTO topics (id, category_id, author_id, title, is_pinned, created_at, reply_count, last_post_at, "
                "last_poster_id, is_locked, title_revision_count, is_resolved, has_staff_reply) VALUES "
                "(:i, :c, :a, :ti, false, :t, :n, :l, :la, false, 0, :r, false)",
                i=tid, c=cat, a=author, ti=f"Topic {tid}", t=T.format(posts[0][0]), n=len(posts) - 1,
                l=T.format(last_minute), la=last_author, r=resolved)
            for n, (minute, who) in enumerate(posts):
                pid += 1
                run("INSERT INTO posts (id, topic_id, author_id, is_first, body, body_html, created_at, depth, "
                    "revision_count, is_hidden, hidden_staff_only, kudos_count) VALUES "
                    "(:i, :t, :a, :f, 'x', 'x', :c, 0, 0, false, false, 0)",
                    i=pid, t=tid, a=who, f=n == 0, c=T.format(minute))
        db.session.commit()
        upgrade()
        rows = {r.id: (r.state, r.waiting_since) for r in run("SELECT id, state, waiting_since FROM topics")}
        assert {k: v[0] for k, v in rows.items()} == {1: "waiting", 2: "answered", 3: "waiting", 4: "resolved",
                                                     5: None, 6: None}
        assert str(rows[1][1]).startswith("2026-11-01 10:01")
        assert str(rows[3][1]).startswith("2026-11-01 10:05")
        history = run("SELECT topic_id, to_state, event FROM case_transitions ORDER BY topic_id, id").all()
        assert [tuple(r) for r in history] == [(1, "waiting", "asked"), (2, "waiting", "asked"), (2, "answered", "migrated"),
                                               (3, "waiting", "asked"), (4, "waiting", "asked"), (4, "resolved", "migrated")]
        db.session.commit()
        downgrade(revision="issue18_sessions")
        assert run("SELECT id FROM topics WHERE is_resolved").scalars().all() == [4]
        db.session.remove()
        db.engine.dispose()
