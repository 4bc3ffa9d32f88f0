"""the event log, which the search indexer now follows instead of its outbox

Every service records an event in the transaction that makes its change; the search
indexer, and later the notifier and webhooks, read the log in id order. The outbox held
only what search needed and was pruned; the log is kept, as the platform's history. The
search index's schema version changed with it, so an index built before this upgrade is
rebuilt from the database on first use (its cursor counted outbox rows, not events).
Earlier history stays where it was recorded (status changes, revisions): the log starts
at the upgrade.

Revision ID: 0005
Revises: 0004

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_events_company_id_companies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_actor_id_id', ['actor_id', 'id'], unique=False)
        batch_op.create_index('ix_events_company_id_id', ['company_id', 'id'], unique=False)
        batch_op.create_index('ix_events_thread_id_id', ['thread_id', 'id'], unique=False)
        batch_op.create_index('ix_events_type_id', ['type', 'id'], unique=False)
    op.drop_table('search_outbox')


def downgrade():
    op.create_table('search_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('doc_type', sa.String(length=20), nullable=False),
    sa.Column('doc_id', sa.Integer(), nullable=False),
    sa.Column('op', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_outbox'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_type_id')
        batch_op.drop_index('ix_events_thread_id_id')
        batch_op.drop_index('ix_events_company_id_id')
        batch_op.drop_index('ix_events_actor_id_id')
    op.drop_table('events')
