"""PostgreSQL full-text search backend: search_documents (weighted tsvector, GIN) and
search_words (trigram index for typos and "Did you mean")

Revision ID: issue13_pg_fulltext
Revises: issue18_sessions
Create Date: 2026-12-01 12:00:00

The tables are created on every database so that the schema is the same everywhere;
only PostgreSQL gets the pg_trgm extension, the GIN indexes and a real tsvector
column (SQLite keeps empty tables: that backend is PostgreSQL-only). To switch a
PostgreSQL site over, set FORUM_SEARCH_BACKEND=postgresql and run `forum search reindex`.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = 'issue13_pg_fulltext'
down_revision = 'issue18_two_factor'
branch_labels = None
depends_on = None


def upgrade():
    pg = op.get_bind().dialect.name == 'postgresql'
    if pg:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.create_table('search_documents',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=120), nullable=False),
    sa.Column('resolved', sa.Boolean(), nullable=False),
    sa.Column('official', sa.Boolean(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=True),
    sa.Column('activity', sa.DateTime(), nullable=True),
    sa.Column('replies', sa.Integer(), nullable=False),
    sa.Column('kudos', sa.Integer(), nullable=False),
    sa.Column('spell', sa.Text(), nullable=False),
    sa.Column('sig', sa.String(length=32), nullable=False),
    sa.Column('tsv', postgresql.TSVECTOR().with_variant(sa.Text(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents'))
    )
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_documents_activity'), ['activity'], unique=False)
        batch_op.create_index('ix_search_documents_tsv', ['tsv'], unique=False, postgresql_using='gin')
    op.create_table('search_words',
    sa.Column('word', sa.String(length=80), nullable=False),
    sa.Column('docs', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('word', name=op.f('pk_search_words'))
    )
    with op.batch_alter_table('search_words', schema=None) as batch_op:
        batch_op.create_index('ix_search_words_trgm', ['word'], unique=False, postgresql_using='gin',
                              postgresql_ops={'word': 'gin_trgm_ops'})


def downgrade():
    op.drop_table('search_words')
    op.drop_table('search_documents')
    # pg_trgm stays: other objects of the database may use it.
