"""issue 17: avatars (users.avatar_key) and members' uploaded screenshots

Revision ID: issue17_people_composer
Revises: issue17_design_home
Create Date: 2026-12-01 15:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = "issue17_people_composer"
down_revision = "issue17_design_home"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("avatar_key", sa.String(length=40), nullable=True))
    op.create_table(
        "uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_uploads_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
        sa.UniqueConstraint("key", name=op.f("uq_uploads_key")),
    )
    op.create_index("ix_uploads_user_id_created_at", "uploads", ["user_id", "created_at"])


def downgrade():
    op.drop_index("ix_uploads_user_id_created_at", table_name="uploads")
    op.drop_table("uploads")
    # A plain ALTER (SQLite 3.35+ drops a plain column in place), never a batch copy of users.
    op.execute("ALTER TABLE users DROP COLUMN avatar_key")
