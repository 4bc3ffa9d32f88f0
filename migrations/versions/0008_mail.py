"""mail: the outgoing queue, preferences per kind, confirmed and pending addresses

Accounts made before confirmation existed keep their address as confirmed: they signed
up when no mail was sent, and taking mail away from them now would be a surprise.

Revision ID: 0008
Revises: 0007

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _drop_lower_indexes():
    # SQLite's batch mode rebuilds the table from what it can reflect, and it cannot
    # reflect an index on an expression: drop them first and build them again after.
    op.drop_index('uq_users_email_lower', table_name='users')
    op.drop_index('uq_users_username_lower', table_name='users')


def _create_lower_indexes():
    op.create_index('uq_users_username_lower', 'users', [sa.text('lower(username)')], unique=True)
    op.create_index('uq_users_email_lower', 'users', [sa.text('lower(email)')], unique=True)


def upgrade():
    _drop_lower_indexes()
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=True)
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('pending_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('mail_bounced_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('digest_hour', sa.Integer(), nullable=False, server_default='8'))
        batch_op.add_column(sa.Column('timezone', sa.String(length=60), nullable=False, server_default='UTC'))
        batch_op.add_column(sa.Column('last_digest_at', sa.DateTime(), nullable=True))
    _create_lower_indexes()
    op.execute("UPDATE users SET email_confirmed_at = created_at")
    op.create_table('outgoing_mail',
    sa.Column('id', BIG, autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('event_id', BIG, nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('digest_id', BIG, nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_outgoing_mail_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outgoing_mail_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_mail')),
    sa.UniqueConstraint('user_id', 'event_id', name=op.f('uq_outgoing_mail_user_id'))
    )
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.create_index('ix_outgoing_mail_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_outgoing_mail_user_status', ['user_id', 'status'], unique=False)
    op.create_table('mail_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('delivery', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mail_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_mail_preferences'))
    )


def downgrade():
    op.drop_table('mail_preferences')
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_index('ix_outgoing_mail_user_status')
        batch_op.drop_index('ix_outgoing_mail_due')
    op.drop_table('outgoing_mail')
    op.execute("UPDATE users SET email = pending_email WHERE email IS NULL")
    op.execute("DELETE FROM users WHERE email IS NULL")
    _drop_lower_indexes()
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_digest_at')
        batch_op.drop_column('timezone')
        batch_op.drop_column('digest_hour')
        batch_op.drop_column('mail_bounced_at')
        batch_op.drop_column('pending_email')
        batch_op.drop_column('email_confirmed_at')
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)
    _create_lower_indexes()
