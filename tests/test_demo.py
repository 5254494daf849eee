"""``flask demo`` seeds a realistic community once, and only once."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from forum.demo import DEMO_PASSWORD, USERS
from forum.extensions import db
from forum.models import ROLES, Category, Post, Topic, User


def _row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def test_demo_seeds_a_community(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Seeded the demo community." in result.output
    # The logins are printed, with the shared password.
    assert DEMO_PASSWORD in result.output
    for username, role, _ in USERS:
        assert username in result.output

    with app.app_context():
        users = db.session.scalars(select(User)).all()
        assert 8 <= len(users) <= 12
        assert set(Counter(u.role for u in users)) == set(ROLES)
        assert all(u.is_verified for u in users)
        assert db.session.scalar(select(func.count(Category.id))) >= 4
        topics = db.session.scalars(select(Topic)).all()
        assert len(topics) >= 4
        assert any(t.is_pinned for t in topics)
        posts = db.session.scalars(select(Post)).all()
        replies = [p for p in posts if not p.is_first]
        assert replies
        assert max(p.depth for p in posts) >= 2
        # Nesting is consistent: each reply sits one level below its parent, in the same topic.
        by_id = {p.id: p for p in posts}
        for post in replies:
            if post.parent_id is None:
                assert post.depth == 0
            else:
                parent = by_id[post.parent_id]
                assert post.depth == parent.depth + 1
                assert post.topic_id == parent.topic_id
        for topic in topics:
            assert topic.reply_count == sum(1 for p in replies if p.topic_id == topic.id)


def test_demo_twice_changes_nothing(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    before = _row_counts(app)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "nothing changed" in result.output
    assert DEMO_PASSWORD in result.output  # the logins are still shown
    assert _row_counts(app) == before


def test_demo_if_empty_leaves_a_live_database_alone(app, runner, make_user):
    make_user("real.customer")
    before = _row_counts(app)
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "not seeding" in result.output
    assert _row_counts(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.username_key == USERS[0][0])) == 0


def test_demo_if_empty_seeds_an_empty_database(app, runner):
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "Seeded the demo community." in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == len(USERS)


def test_demo_refuses_cleanly_when_a_demo_name_is_taken(app, runner, make_user):
    make_user(USERS[5][0])
    before = _row_counts(app)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 1
    assert "Cannot seed the demo" in result.output
    assert "Traceback" not in result.output
    assert _row_counts(app) == before
