"""search synonyms (admins' additions to the shipped list) and search events (analytics)

Revision ID: issue13_search_synonyms
Revises: 0008
Create Date: 2026-12-01 09:50:00

After upgrading, run `forum search reindex`: the index's analyzer changed (spelling
variants, compounds such as Wi-Fi, apostrophes) and so did its ranking fields.
"""
from alembic import op
import sqlalchemy as sa


revision = 'issue13_search_synonyms'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_synonyms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('entries', sa.String(length=1000), server_default='', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_synonyms')),
    sa.UniqueConstraint('key', name=op.f('uq_search_synonyms_key'))
    )
    op.create_table('search_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=10), server_default='page', nullable=False),
    sa.Column('query', sa.String(length=256), nullable=False),
    sa.Column('filters', sa.String(length=200), server_default='', nullable=False),
    sa.Column('result_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('latency_ms', sa.Integer(), server_default='0', nullable=False),
    sa.Column('page', sa.Integer(), server_default='1', nullable=False),
    sa.Column('session_hash', sa.String(length=16), nullable=True),
    sa.Column('clicked_doc', sa.String(length=24), nullable=True),
    sa.Column('clicked_rank', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_events')),
    sa.UniqueConstraint('key', name=op.f('uq_search_events_key'))
    )
    with op.batch_alter_table('search_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_events_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_events_query'), ['query'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_events_session_hash'), ['session_hash'], unique=False)


def downgrade():
    op.drop_table('search_events')
    op.drop_table('search_synonyms')
