"""search synonyms: admins' additions to and overrides of the shipped list

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


def downgrade():
    op.drop_table('search_synonyms')
