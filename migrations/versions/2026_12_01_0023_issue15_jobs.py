"""the job outbox (forum.jobqueue, forum/jobs)

Revision ID: issue15_jobs
Revises: issue17_topic_lists
Create Date: 2026-12-01 15:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = "issue15_jobs"
down_revision = "issue17_topic_lists"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=80), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("relayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_job_outbox_key")),
    )
    op.create_index("ix_job_outbox_open", "job_outbox", ["done_at", "dead_at", "relayed_at"])
    op.create_index("ix_job_outbox_dead_at", "job_outbox", ["dead_at"])


def downgrade():
    op.drop_index("ix_job_outbox_dead_at", table_name="job_outbox")
    op.drop_index("ix_job_outbox_open", table_name="job_outbox")
    op.drop_table("job_outbox")
