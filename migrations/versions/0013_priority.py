"""priority: customer segments, each vote's importance, the team's impact and effort,
and the priority score they give each idea

Every existing vote is unsegmented and says no importance, which both weigh 1 by
default, and no idea has an impact or effort yet: each idea's score starts as its votes.

Revision ID: 0013
Revises: 0012

"""
import warnings

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('customer_segments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('email_domains', sa.Text(), nullable=False),
    sa.Column('min_value', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_customer_segments_company_id_companies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_segments')),
    sa.UniqueConstraint('company_id', 'name', name=op.f('uq_customer_segments_company_id'))
    )
    op.create_table('company_customers',
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('assigned_by', sa.String(length=10), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_company_customers_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['segment_id'], ['customer_segments.id'], name=op.f('fk_company_customers_segment_id_customer_segments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_company_customers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('company_id', 'user_id', name=op.f('pk_company_customers'))
    )
    with op.batch_alter_table('company_customers', schema=None) as batch_op:
        batch_op.create_index('ix_company_customers_segment', ['company_id', 'segment_id'], unique=False)
    op.create_table('priority_weights',
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('unsegmented', sa.Float(), nullable=False),
    sa.Column('not_said', sa.Float(), nullable=False),
    sa.Column('nice_to_have', sa.Float(), nullable=False),
    sa.Column('important', sa.Float(), nullable=False),
    sa.Column('critical', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_priority_weights_company_id_companies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('company_id', name=op.f('pk_priority_weights'))
    )
    op.add_column('votes', sa.Column('importance', sa.SmallInteger(), nullable=True))
    op.add_column('ideas', sa.Column('impact', sa.SmallInteger(), nullable=True))
    op.add_column('ideas', sa.Column('effort', sa.SmallInteger(), nullable=True))
    op.add_column('ideas', sa.Column('priority_score', sa.Float(), nullable=False,
                                     server_default='0'))
    op.execute("UPDATE ideas SET priority_score = vote_count")
    op.create_index('ix_ideas_company_priority', 'ideas', ['company_id', 'priority_score'],
                    unique=False)


def downgrade():
    op.drop_index('ix_ideas_company_priority', table_name='ideas')
    with warnings.catch_warnings():
        # SQLite's batch mode reflects the users table these tables' foreign keys point
        # at, and says it cannot reflect its expression indexes: users is not rebuilt.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table('ideas', schema=None) as batch_op:
            batch_op.drop_column('priority_score')
            batch_op.drop_column('effort')
            batch_op.drop_column('impact')
        with op.batch_alter_table('votes', schema=None) as batch_op:
            batch_op.drop_column('importance')
        with op.batch_alter_table('company_customers', schema=None) as batch_op:
            batch_op.drop_index('ix_company_customers_segment')
    op.drop_table('priority_weights')
    op.drop_table('company_customers')
    op.drop_table('customer_segments')
