"""triage: when a team first looked at an idea, and who owns it

An idea is untriaged until a team member changes its status, tags it or marks it seen.
Ideas from before this migration that were already moved along (or merged) count as
triaged then; the rest wait in the inbox (tags cannot tell: customers tag their own).

Revision ID: 0009
Revises: 0008

"""
import warnings

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with warnings.catch_warnings():
        # SQLite's batch mode reflects the users table the new foreign key points at, and
        # says it cannot reflect its expression indexes: users is not rebuilt, they stay.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table('ideas', schema=None) as batch_op:
            batch_op.add_column(sa.Column('triaged_at', sa.DateTime(), nullable=True))
            batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(batch_op.f('fk_ideas_owner_id_users'), 'users', ['owner_id'], ['id'], ondelete='SET NULL')
            batch_op.create_index('ix_ideas_company_triage', ['company_id', 'triaged_at', 'created_at'], unique=False)
    op.execute("UPDATE ideas SET triaged_at = COALESCE(status_changed_at, created_at) "
               "WHERE status <> 'open' OR merged_into_id IS NOT NULL")


def downgrade():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table('ideas', schema=None) as batch_op:
            batch_op.drop_index('ix_ideas_company_triage')
            batch_op.drop_constraint(batch_op.f('fk_ideas_owner_id_users'), type_='foreignkey')
            batch_op.drop_column('owner_id')
            batch_op.drop_column('triaged_at')
