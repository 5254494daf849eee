"""issue 16: versions that key the visitor's cached topic and board pages

Revision ID: issue16_visitor_pages
Revises: issue19_oidc
Create Date: 2026-12-01 18:40:00

* ``topics.page_version`` and ``categories.page_version``: renewed in the same transaction
  as any write that changes what the topic's (or the board's) pages show, so every host
  reads the new version with the topic (or board) row itself (forum/visitorcache.py).
* ``page_generation``: one row, renewed by writes that change many pages at once (a
  member's name or avatar, a board's name, an incident link).
"""
import sqlalchemy as sa
from alembic import op

revision = 'issue16_visitor_pages'
down_revision = 'issue19_oidc'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('topics', sa.Column('page_version', sa.Integer(), server_default='0', nullable=False))
    op.add_column('categories', sa.Column('page_version', sa.Integer(), server_default='0', nullable=False))
    table = op.create_table(
        'page_generation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('generation', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_page_generation')),
    )
    op.bulk_insert(table, [{'id': 1, 'generation': 0}])


def downgrade():
    op.drop_table('page_generation')
    # A plain ALTER (SQLite 3.35+ drops a plain column in place): no batch copy of topics.
    op.execute('ALTER TABLE categories DROP COLUMN page_version')
    op.execute('ALTER TABLE topics DROP COLUMN page_version')
