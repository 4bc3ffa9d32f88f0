"""private company spaces: a company seen only by its staff, its guests and site admins

Revision ID: 0019
Revises: 0018

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('companies', sa.Column('is_private', sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    op.create_table('company_guests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_company_guests_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_company_guests_invited_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_company_guests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_guests')),
    sa.UniqueConstraint('company_id', 'user_id', name=op.f('uq_company_guests_company_id'))
    )
    with op.batch_alter_table('company_guests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_guests_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('company_guests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_guests_user_id'))
    op.drop_table('company_guests')
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_column('is_private')
