"""threads: the company activity index becomes (company_id, last_posted_at, id) over
visible threads, so PostgreSQL reads the forum's latest page from it instead of sorting
every thread of the company (`hidden_at IS NULL` as an index column ahead of the order
kept it from using the index for ORDER BY; SQLite did)

Revision ID: 0024
Revises: 0023

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

VISIBLE = sa.text("hidden_at IS NULL")


def upgrade():
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_index('ix_threads_company_activity')
        batch_op.create_index('ix_threads_company_activity',
                              ['company_id', 'last_posted_at', 'id'], unique=False,
                              sqlite_where=VISIBLE, postgresql_where=VISIBLE)


def downgrade():
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_index('ix_threads_company_activity')
        batch_op.create_index('ix_threads_company_activity',
                              ['company_id', 'hidden_at', 'last_posted_at'], unique=False)
