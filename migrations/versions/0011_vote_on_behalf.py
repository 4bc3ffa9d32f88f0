"""vote on behalf: who recorded a vote for a customer, and accounts made by invitation

A team member records a vote for a customer who asked by mail or on a call; the vote
keeps who recorded it. A customer named only by an address gets an invited account, with
no password, until they claim it from the link mailed to them.

Revision ID: 0011
Revises: 0010

"""
import warnings

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with warnings.catch_warnings():
        # SQLite's batch mode reflects the users table the new foreign key points at, and
        # says it cannot reflect its expression indexes: users is not rebuilt, they stay.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table('votes', schema=None) as batch_op:
            batch_op.add_column(sa.Column('recorded_by_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(batch_op.f('fk_votes_recorded_by_id_users'), 'users', ['recorded_by_id'], ['id'], ondelete='SET NULL')
    # A plain ADD COLUMN on both databases: users is not rebuilt, its indexes stay.
    op.add_column('users', sa.Column('invited_at', sa.DateTime(), nullable=True))


def downgrade():
    # Invited accounts nobody claimed have no password and can never sign in: keep them
    # (their votes count), as accounts waiting to confirm their address. Dropping a column
    # rebuilds users on SQLite, without its expression indexes: they are made again.
    op.drop_index('uq_users_email_lower', table_name='users')
    op.drop_index('uq_users_username_lower', table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('invited_at')
    op.create_index('uq_users_username_lower', 'users', [sa.text('lower(username)')], unique=True)
    op.create_index('uq_users_email_lower', 'users', [sa.text('lower(email)')], unique=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table('votes', schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f('fk_votes_recorded_by_id_users'), type_='foreignkey')
            batch_op.drop_column('recorded_by_id')
