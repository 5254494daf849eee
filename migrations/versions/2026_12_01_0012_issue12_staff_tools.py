"""issue 12: staff tools (internal notes, saved replies, assignment until answered)

Revision ID: issue12_staff_tools
Revises: issue18_sessions
Create Date: 2026-12-01 12:00:00

"""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "issue12_staff_tools"
down_revision = "issue12_case_lifecycle"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "internal_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_internal_notes_author_id_users")),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], name=op.f("fk_internal_notes_topic_id_topics")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_internal_notes")),
    )
    op.create_index("ix_internal_notes_topic", "internal_notes", ["topic_id", "id"], unique=False)
    op.create_table(
        "saved_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_archived", sa.Boolean(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_saved_replies_created_by_id_users")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_saved_replies_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_replies")),
    )
    op.create_index("ix_saved_replies_archived_title", "saved_replies", ["is_archived", "title"], unique=False)
    op.create_index("ix_topics_staff_queue_assignee", "topics",
                    ["claimed_by_id", "state", "waiting_since", "id"], unique=False)
    # Claims used to lapse after 30 minutes; now they last until released or answered.
    # Claims that had lapsed must not come back as assignments.
    topics = sa.table("topics", sa.column("claimed_by_id", sa.Integer()), sa.column("claimed_at", sa.DateTime(timezone=True)))
    cutoff = datetime.now(UTC) - timedelta(minutes=30)
    if op.get_bind().dialect.name == "sqlite":
        cutoff = cutoff.replace(tzinfo=None)
    op.execute(topics.update().where(topics.c.claimed_at < cutoff).values(claimed_by_id=None, claimed_at=None))


def downgrade():
    op.drop_index("ix_topics_staff_queue_assignee", table_name="topics")
    op.drop_index("ix_saved_replies_archived_title", table_name="saved_replies")
    op.drop_table("saved_replies")
    op.drop_index("ix_internal_notes_topic", table_name="internal_notes")
    op.drop_table("internal_notes")
