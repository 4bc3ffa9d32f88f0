"""escalations and redactions: a review item a company's moderators hand to the site
admins (who, when, with what note), and revisions only moderators may read (the text a
moderator edited out of a post for personal information)

Existing reviews are not escalated; existing revisions stay visible as before.

Revision ID: 0017
Revises: 0016

"""
import warnings

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with warnings.catch_warnings():
        # See 0014: SQLite's batch mode reflects the users table the new foreign key
        # points at, and cannot reflect its expression indexes: users is not rebuilt.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table('reviews', schema=None) as batch_op:
            batch_op.add_column(sa.Column('escalated_at', sa.DateTime(), nullable=True))
            batch_op.add_column(sa.Column('escalated_by_id', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('escalation_note', sa.String(length=300),
                                          nullable=False, server_default=''))
            batch_op.create_foreign_key(batch_op.f('fk_reviews_escalated_by_id_users'),
                                        'users', ['escalated_by_id'], ['id'])
            # The site admins' queue: every company's open items, escalated first.
            batch_op.create_index('ix_reviews_open_escalated',
                                  ['closed_at', 'escalated_at', 'opened_at', 'id'],
                                  unique=False)
    op.add_column('revisions', sa.Column('moderators_only', sa.Boolean(), nullable=False,
                                         server_default=sa.false()))


def downgrade():
    with warnings.catch_warnings():
        # See 0014: SQLite's batch mode cannot reflect the users table's expression indexes.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table('revisions', schema=None) as batch_op:
            batch_op.drop_column('moderators_only')
        with op.batch_alter_table('reviews', schema=None) as batch_op:
            batch_op.drop_index('ix_reviews_open_escalated')
            batch_op.drop_constraint(batch_op.f('fk_reviews_escalated_by_id_users'),
                                     type_='foreignkey')
            batch_op.drop_column('escalation_note')
            batch_op.drop_column('escalated_by_id')
            batch_op.drop_column('escalated_at')
