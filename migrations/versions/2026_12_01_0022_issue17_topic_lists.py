"""Topic lists: members' read positions (topic_reads), buffered topic view counts, and
an index for "posts after a read position"

Revision ID: issue17_topic_lists
Revises: issue17_people_composer
Create Date: 2026-12-01 15:10:00

Plain ADD COLUMN / CREATE INDEX only (no batch copy of topics or posts on SQLite).
Nothing to backfill: members start with no read position (old topics are then neither
new nor unread, see forum.topics.reading), and views start at 0.
"""
from alembic import op
import sqlalchemy as sa



revision = 'issue17_topic_lists'
down_revision = 'issue17_people_composer'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'topic_reads',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('topic_id', sa.Integer(), nullable=False),
        sa.Column('last_read_post_id', sa.Integer(), server_default='0', nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_topic_reads_topic_id_topics'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_topic_reads_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'topic_id', name=op.f('pk_topic_reads')),
    )
    op.create_index('ix_topic_reads_topic_id', 'topic_reads', ['topic_id'], unique=False)
    op.add_column('topics', sa.Column('view_count', sa.Integer(), server_default='0', nullable=False))
    op.create_index('ix_posts_topic_id_id', 'posts', ['topic_id', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_posts_topic_id_id', table_name='posts')
    # A plain ALTER (SQLite 3.35+ drops a plain column in place): no batch copy of topics.
    op.execute('ALTER TABLE topics DROP COLUMN view_count')
    op.drop_index('ix_topic_reads_topic_id', table_name='topic_reads')
    op.drop_table('topic_reads')
