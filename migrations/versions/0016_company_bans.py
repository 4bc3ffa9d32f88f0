"""company bans and watched words: who may not post at a company until when, and the
words a company blocks or holds for review

Revision ID: 0016
Revises: 0015

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('company_bans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('until', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('lifted_at', sa.DateTime(), nullable=True),
    sa.Column('lifted_by_id', sa.Integer(), nullable=True),
    sa.Column('lift_note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_company_bans_actor_id_users')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_company_bans_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lifted_by_id'], ['users.id'], name=op.f('fk_company_bans_lifted_by_id_users')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_company_bans_post_id_posts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_company_bans_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_bans'))
    )
    with op.batch_alter_table('company_bans', schema=None) as batch_op:
        batch_op.create_index('ix_company_bans_company', ['company_id', 'id'], unique=False)
        batch_op.create_index('ix_company_bans_user', ['user_id', 'lifted_at'], unique=False)

    op.create_table('watched_words',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('phrase', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_watched_words_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_watched_words_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watched_words')),
    sa.UniqueConstraint('company_id', 'phrase', name=op.f('uq_watched_words_company_id'))
    )


def downgrade():
    op.drop_table('watched_words')
    with op.batch_alter_table('company_bans', schema=None) as batch_op:
        batch_op.drop_index('ix_company_bans_user')
        batch_op.drop_index('ix_company_bans_company')

    op.drop_table('company_bans')
