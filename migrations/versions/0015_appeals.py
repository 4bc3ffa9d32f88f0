"""appeals: an author asks for a moderator's hide to be undone, once per hide

Revision ID: 0015
Revises: 0014

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('appeals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('decision_note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['moderation_actions.id'], name=op.f('fk_appeals_action_id_moderation_actions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_appeals_assignee_id_users')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_appeals_author_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_appeals_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_appeals_decided_by_id_users')),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['users.id'], name=op.f('fk_appeals_hidden_by_id_users')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_appeals_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeals')),
    sa.UniqueConstraint('action_id', name=op.f('uq_appeals_action_id'))
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index('ix_appeals_company_open', ['company_id', 'decided_at', 'id'], unique=False)
        batch_op.create_index('ix_appeals_assignee_open', ['assignee_id', 'decided_at'], unique=False)


def downgrade():
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_index('ix_appeals_assignee_open')
        batch_op.drop_index('ix_appeals_company_open')

    op.drop_table('appeals')
