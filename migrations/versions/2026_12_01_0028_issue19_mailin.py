"""issue 19: replies received by email

Revision ID: issue19_mailin
Revises: issue19_api_tokens
Create Date: 2026-12-01 18:45:00

* ``inbound_mails``: one row per received reply (its Message-ID and reply token,
  hashed), so a redelivered mail never posts or bounces twice; the hashed bounce
  address caps bounces per hour.
"""
import sqlalchemy as sa
from alembic import op

revision = 'issue19_mailin'
down_revision = 'issue19_api_tokens'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "inbound_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=True),
        sa.Column("result_url", sa.String(length=500), nullable=True),
        sa.Column("bounce_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_inbound_mails_user_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_mails")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_inbound_mails_key_hash")),
    )
    op.create_index("ix_inbound_mails_bounce_hash_created", "inbound_mails", ["bounce_hash", "created_at"])


def downgrade():
    op.drop_index("ix_inbound_mails_bounce_hash_created", table_name="inbound_mails")
    op.drop_table("inbound_mails")
