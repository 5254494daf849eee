"""Home page: popular solved topics (resolved topics by replies) from an index.

Revision ID: issue17_design_home
Revises: issue13_pg_fulltext
"""

from alembic import op

revision = "issue17_design_home"
down_revision = "issue13_pg_fulltext"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_topics_state_replies", "topics", ["state", "reply_count", "last_post_at"])


def downgrade():
    op.drop_index("ix_topics_state_replies", table_name="topics")
