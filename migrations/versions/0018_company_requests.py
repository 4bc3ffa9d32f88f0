"""company requests: a company's space opens only on its own request, with its work
email's domain proved by mail and a site admin's approval

Every company opened before this migration was opened by a site admin: it counts as
approved when it was created, with no verified domain.

Revision ID: 0018
Revises: 0017

"""
import warnings

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('company_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('website', sa.String(length=255), nullable=False),
    sa.Column('work_email', sa.String(length=254), nullable=False),
    sa.Column('domain', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('email_confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_company_requests_company_id_companies'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_company_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_company_requests_requester_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_requests'))
    )
    with op.batch_alter_table('company_requests', schema=None) as batch_op:
        batch_op.create_index('ix_company_requests_status', ['status', 'id'], unique=False)
        batch_op.create_index('ix_company_requests_requester', ['requester_id', 'created_at'], unique=False)

    op.add_column('companies', sa.Column('approved_at', sa.DateTime(), nullable=True))
    op.add_column('companies', sa.Column('verified_domain', sa.String(length=255),
                                         nullable=False, server_default=''))
    companies = sa.table('companies', sa.column('approved_at', sa.DateTime()),
                         sa.column('created_at', sa.DateTime()))
    op.execute(companies.update().values(approved_at=companies.c.created_at))


def downgrade():
    with warnings.catch_warnings():
        # As in 0014: SQLite's batch mode reflects the users table and says it cannot
        # reflect its expression indexes; users is not rebuilt.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table('companies', schema=None) as batch_op:
            batch_op.drop_column('verified_domain')
            batch_op.drop_column('approved_at')

    with op.batch_alter_table('company_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_company_requests_requester')
        batch_op.drop_index('ix_company_requests_status')

    op.drop_table('company_requests')
