"""issue 12: the case lifecycle (one stored state per help topic, its transitions), the
"needs a response" queue, issue labels and per-board response targets

Revision ID: issue12_case_lifecycle
Revises: issue18_sessions
Create Date: 2026-12-01 12:00:00

The existing topics get a state worked out from what is stored: announcements and
topics staff started are not cases (NULL); a resolved topic stays resolved; a topic whose
last post is by staff is answered; any other is waiting, since the first post after the
last staff reply (or since it was asked). Each case gets an "asked" transition and,
unless it is still waiting, a "migrated" one, so the insights have a history to count.
``is_resolved`` is dropped: it is read from the state now.
"""
import sqlalchemy as sa
from alembic import op

revision = "issue12_case_lifecycle"
down_revision = "issue12_notification_defaults"
branch_labels = None
depends_on = None

STAFF = "('moderator', 'staff', 'executive', 'admin')"


def upgrade():
    op.create_table(
        "case_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=10), nullable=True),
        sa.Column("to_state", sa.String(length=10), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_case_transitions_actor_id_users")),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], name=op.f("fk_case_transitions_topic_id_topics")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_transitions")),
    )
    op.create_index("ix_case_transitions_topic_id", "case_transitions", ["topic_id", "id"], unique=False)
    op.create_index("ix_case_transitions_created_at", "case_transitions", ["created_at"], unique=False)

    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("response_target_hours", sa.Integer(), nullable=True))

    # On SQLite, plain ALTER TABLE statements: a batch "move and copy" of topics would drop
    # the table, which the posts' foreign keys refuse once there is data.
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("issue_label", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("issue_incident_id", sa.Integer(), nullable=True))

    op.execute(f"""
        UPDATE topics SET state = CASE
            WHEN author_id IN (SELECT id FROM users WHERE role IN {STAFF}) THEN NULL
            WHEN category_id IN (SELECT id FROM categories WHERE slug = 'announcements') THEN NULL
            WHEN is_resolved THEN 'resolved'
            WHEN last_poster_id IN (SELECT id FROM users WHERE role IN {STAFF}) THEN 'answered'
            ELSE 'waiting' END
    """)
    # answered_at holds the time of the last staff reply for a moment (one pass over posts),
    # then the wait is "since the first post after it".
    op.execute(f"""
        UPDATE topics SET answered_at = (
            SELECT MAX(s.created_at) FROM posts s JOIN users u ON u.id = s.author_id
            WHERE s.topic_id = topics.id AND s.is_first = false AND u.role IN {STAFF})
        WHERE state IS NOT NULL
    """)
    op.execute("""
        UPDATE topics SET waiting_since = COALESCE(
            (SELECT MIN(p.created_at) FROM posts p WHERE p.topic_id = topics.id AND p.is_hidden = false
               AND p.created_at > topics.answered_at),
            created_at)
        WHERE state IS NOT NULL
    """)
    op.execute("UPDATE topics SET answered_at = NULL")
    op.execute("UPDATE topics SET answered_at = last_post_at WHERE state = 'answered'")
    op.execute("""
        INSERT INTO case_transitions (topic_id, from_state, to_state, event, created_at)
        SELECT id, NULL, 'waiting', 'asked', created_at FROM topics WHERE state IS NOT NULL
    """)
    op.execute("""
        INSERT INTO case_transitions (topic_id, from_state, to_state, event, created_at)
        SELECT id, 'waiting', state, 'migrated', COALESCE(resolved_at, answered_at, last_post_at)
        FROM topics WHERE state IN ('answered', 'resolved')
    """)

    op.drop_index("ix_topics_staff_queue_category", table_name="topics")
    op.drop_index("ix_topics_staff_queue", table_name="topics")
    op.drop_index("ix_topics_category_resolved", table_name="topics")
    if sqlite:
        op.execute("ALTER TABLE topics DROP COLUMN is_resolved")  # SQLite 3.35+
    else:
        op.drop_column("topics", "is_resolved")
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.create_index("ix_topics_category_state", ["category_id", "state", "is_pinned", "last_post_at"], unique=False)
        batch_op.create_index("ix_topics_category_label", ["category_id", "issue_label", "is_pinned", "last_post_at"], unique=False)
        batch_op.create_index("ix_topics_queue", ["state", "waiting_since", "id"], unique=False)
        batch_op.create_index("ix_topics_queue_category", ["category_id", "state", "waiting_since", "id"], unique=False)
        batch_op.create_index("ix_topics_state_answered", ["state", "answered_at"], unique=False)


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("topics", sa.Column("is_resolved", sa.Boolean(), server_default="0", nullable=False))
    op.execute("UPDATE topics SET is_resolved = (state = 'resolved') WHERE state IS NOT NULL")
    for name in ("ix_topics_state_answered", "ix_topics_queue_category", "ix_topics_queue", "ix_topics_category_label",
                 "ix_topics_category_state"):
        op.drop_index(name, table_name="topics")
    for column in ("issue_incident_id", "issue_label", "reminded_at", "answered_at", "waiting_since", "state"):
        if sqlite:  # plain ALTERs: see upgrade()
            op.execute(f"ALTER TABLE topics DROP COLUMN {column}")
        else:
            op.drop_column("topics", column)
    op.create_index("ix_topics_category_resolved", "topics", ["category_id", "is_resolved", "is_pinned", "last_post_at"])
    op.create_index("ix_topics_staff_queue", "topics", ["has_staff_reply", "is_resolved", "created_at", "id"])
    op.create_index("ix_topics_staff_queue_category", "topics",
                    ["category_id", "has_staff_reply", "is_resolved", "created_at", "id"])
    if sqlite:
        op.execute("ALTER TABLE categories DROP COLUMN response_target_hours")
    else:
        op.drop_column("categories", "response_target_hours")
    op.drop_index("ix_case_transitions_created_at", table_name="case_transitions")
    op.drop_index("ix_case_transitions_topic_id", table_name="case_transitions")
    op.drop_table("case_transitions")
