"""issue 18: account self-service (deleted accounts and their admin record)

Revision ID: issue18_self_service
Revises: issue18_sessions
Create Date: 2026-12-01 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "issue18_self_service"
down_revision = "issue18_sessions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "account_deletions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("account_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("post_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("topic_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("message_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("username_digest", sa.String(length=64), nullable=False),
        sa.Column("skeleton_digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_account_deletions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_deletions")),
        sa.UniqueConstraint("user_id", name=op.f("uq_account_deletions_user_id")),
    )
    op.create_index(op.f("ix_account_deletions_deleted_at"), "account_deletions", ["deleted_at"], unique=False)
    op.create_index(op.f("ix_account_deletions_username_digest"), "account_deletions", ["username_digest"], unique=False)
    op.create_index(op.f("ix_account_deletions_skeleton_digest"), "account_deletions", ["skeleton_digest"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_account_deletions_skeleton_digest"), table_name="account_deletions")
    op.drop_index(op.f("ix_account_deletions_username_digest"), table_name="account_deletions")
    op.drop_index(op.f("ix_account_deletions_deleted_at"), table_name="account_deletions")
    op.drop_table("account_deletions")
    # A plain ALTER (SQLite 3.35+ drops a plain column in place): a batch copy of the
    # users table fails once other tables point at its rows.
    op.execute("ALTER TABLE users DROP COLUMN deleted_at")
