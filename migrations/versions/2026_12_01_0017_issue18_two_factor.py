"""issue 18: two-factor sign-in (TOTP, recovery codes) and one-time submission tokens

Revision ID: issue18_two_factor
Revises: issue18_sessions
Create Date: 2026-12-01 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "issue18_two_factor"
down_revision = "issue12_staff_tools"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "two_factor",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("last_step", sa.Integer(), server_default="0", nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_two_factor_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_two_factor")),
    )
    op.create_table(
        "two_factor_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_two_factor_recovery_codes_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_two_factor_recovery_codes")),
    )
    op.create_index(op.f("ix_two_factor_recovery_codes_user_id"), "two_factor_recovery_codes", ["user_id"], unique=False)
    op.create_table(
        "submission_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("result_url", sa.String(length=500), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_submission_records_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_records")),
        sa.UniqueConstraint("user_id", "token_hash", name=op.f("uq_submission_records_user_id")),
    )
    op.create_index(op.f("ix_submission_records_created_at"), "submission_records", ["created_at"], unique=False)
    with op.batch_alter_table("user_sessions") as batch_op:
        batch_op.add_column(sa.Column("needs_second_factor", sa.Boolean(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("user_sessions") as batch_op:
        batch_op.drop_column("needs_second_factor")
    op.drop_index(op.f("ix_submission_records_created_at"), table_name="submission_records")
    op.drop_table("submission_records")
    op.drop_index(op.f("ix_two_factor_recovery_codes_user_id"), table_name="two_factor_recovery_codes")
    op.drop_table("two_factor_recovery_codes")
    op.drop_table("two_factor")
