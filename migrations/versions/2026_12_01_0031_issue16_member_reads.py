"""issue 16: a member's reads version from one index entry

Revision ID: issue16_member_reads
Revises: issue16_visitor_pages
Create Date: 2026-12-01 18:50:00

* ``ix_topic_reads_user_updated``: the session load reads, for a signed-in page, when the
  member's read positions last moved (``max(updated_at)`` of their rows), the key of their
  cached read marks and board counts (forum.listcache.cached_for_member). The primary key
  (user_id, topic_id) would read every one of the member's rows for it.
"""
from alembic import op


revision = 'issue16_member_reads'
down_revision = 'issue16_visitor_pages'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_topic_reads_user_updated', 'topic_reads', ['user_id', 'updated_at'], unique=False)


def downgrade():
    op.drop_index('ix_topic_reads_user_updated', table_name='topic_reads')
