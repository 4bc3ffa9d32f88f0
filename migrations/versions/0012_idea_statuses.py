"""idea statuses: each company's own list, and the category every idea's status is in

A company keeps the built-in statuses until it first changes its list (no rows until
then), so existing companies need no rows. What existing ideas need is their status's
category, which the board, trending and voting now go by: the built-in statuses keep
their meaning (open and under review are open, planned and in progress active, shipped
complete, declined and duplicate closed).

Revision ID: 0012
Revises: 0011

"""
import warnings

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

CATEGORIES = {
    'open': 'open', 'under_review': 'open', 'planned': 'active', 'in_progress': 'active',
    'shipped': 'complete', 'declined': 'closed', 'duplicate': 'closed',
}


def upgrade():
    op.create_table('idea_statuses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=10), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_idea_statuses_company_id_companies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idea_statuses')),
    sa.UniqueConstraint('company_id', 'key', name=op.f('uq_idea_statuses_company_id'))
    )
    # Added with a default so that existing rows get one, which the update then corrects.
    with op.batch_alter_table('ideas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_category', sa.String(length=10), nullable=False,
                                      server_default='open'))
    ideas = sa.table('ideas', sa.column('status', sa.String),
                     sa.column('status_category', sa.String))
    for status, category in CATEGORIES.items():
        if category != 'open':
            op.execute(ideas.update().where(ideas.c.status == status)
                       .values(status_category=category))
    with warnings.catch_warnings():
        # SQLite's batch mode rebuilds ideas and reflects the users table its owner points
        # at, and says it cannot reflect its expression indexes: users is not rebuilt.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table('ideas', schema=None) as batch_op:
            batch_op.alter_column('status_category', server_default=None)


def downgrade():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table('ideas', schema=None) as batch_op:
            batch_op.drop_column('status_category')
    op.drop_table('idea_statuses')
