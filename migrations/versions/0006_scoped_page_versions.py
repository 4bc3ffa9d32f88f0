"""kept pages are versioned per company and per thread, not for the whole site

One site-wide version, bumped by every write, meant that on an active site (a vote a
second) no visitor ever got a kept page, and its row was a hot spot on PostgreSQL. Now a
change bumps the versions of its company and its thread only. The old counter is
dropped: kept pages live in each process's memory, so a restart after the upgrade
starts from an empty cache anyway.

Revision ID: 0006
Revises: 0005

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('content_versions',
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('version', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_content_versions'))
    )
    op.drop_table('content_version')


def downgrade():
    op.create_table('content_version',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_version'))
    )
    op.drop_table('content_versions')
