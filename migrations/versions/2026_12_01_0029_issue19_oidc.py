"""issue 19: provider accounts linked to forum accounts (sign-in with OpenID Connect, forum/sso)

Revision ID: issue19_oidc
Revises: issue19_mailin
Create Date: 2026-12-01 18:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = "issue19_oidc"
down_revision = "issue19_mailin"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sso_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("linked_by", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sso_links_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_links")),
        sa.UniqueConstraint("provider", "subject", name="uq_sso_links_provider_subject"),
        sa.UniqueConstraint("user_id", "provider", name="uq_sso_links_user_provider"),
    )
    op.create_index("ix_sso_links_user_id", "sso_links", ["user_id"])


def downgrade():
    op.drop_index("ix_sso_links_user_id", table_name="sso_links")
    op.drop_table("sso_links")
