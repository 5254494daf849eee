"""issue 16: board and topic pages read only index entries for the rows they skip

Revision ID: issue16_page_speed
Revises: issue14_insights
Create Date: 2026-12-01 15:15:00

* ``ix_topics_category_page``: a board's topics in page order with ``merged_into_id``, so
  the "not merged" filter is read from the index. ``ix_topics_category_activity`` lacks
  it, so a deep page read every skipped topic from the table; the new one replaces it
  (same leading columns).
* ``ix_posts_topic_threads``: a topic's top-level threads (``parent_id IS NULL`` and not
  the opening post) in order; ``ix_posts_topic_parent`` lacks ``is_first``, so the count
  and a late page read every thread's row.
"""
from alembic import op


revision = 'issue16_page_speed'
down_revision = 'issue14_insights'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_topics_category_page', 'topics',
                    ['category_id', 'is_pinned', 'last_post_at', 'id', 'merged_into_id'], unique=False)
    op.drop_index('ix_topics_category_activity', table_name='topics')
    op.create_index('ix_posts_topic_threads', 'posts', ['topic_id', 'parent_id', 'is_first', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_posts_topic_threads', table_name='posts')
    op.create_index('ix_topics_category_activity', 'topics', ['category_id', 'is_pinned', 'last_post_at'], unique=False)
    op.drop_index('ix_topics_category_page', table_name='topics')
