"""deleted accounts: the emptied row of a person who deleted their account

Revision ID: 0021
Revises: 0020

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on both databases: users is not rebuilt, its indexes stay.
    op.add_column('users', sa.Column('deleted_at', sa.DateTime(), nullable=True))


def downgrade():
    # Deleted accounts stay emptied (no name, no address, no password). Dropping a column
    # rebuilds users on SQLite, without its expression indexes: they are made again.
    op.drop_index('uq_users_email_lower', table_name='users')
    op.drop_index('uq_users_username_lower', table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
    op.create_index('uq_users_username_lower', 'users', [sa.text('lower(username)')], unique=True)
    op.create_index('uq_users_email_lower', 'users', [sa.text('lower(email)')], unique=True)
