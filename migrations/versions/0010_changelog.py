"""changelog: entries (each an official thread) and the ideas each one shipped

Revision ID: 0010
Revises: 0009

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('changelog_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_changelog_entries_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_changelog_entries_thread_id_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_changelog_entries')),
    sa.UniqueConstraint('thread_id', name=op.f('uq_changelog_entries_thread_id'))
    )
    with op.batch_alter_table('changelog_entries', schema=None) as batch_op:
        batch_op.create_index('ix_changelog_company_published', ['company_id', 'published_at'], unique=False)
    op.create_table('changelog_ideas',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['changelog_entries.id'], name=op.f('fk_changelog_ideas_entry_id_changelog_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'], name=op.f('fk_changelog_ideas_idea_id_ideas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', 'idea_id', name=op.f('pk_changelog_ideas'))
    )
    with op.batch_alter_table('changelog_ideas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_changelog_ideas_idea_id'), ['idea_id'], unique=False)


def downgrade():
    with op.batch_alter_table('changelog_ideas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_changelog_ideas_idea_id'))
    op.drop_table('changelog_ideas')
    with op.batch_alter_table('changelog_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_changelog_company_published')
    op.drop_table('changelog_entries')
