"""trust: audit log (append-only), server-side sessions, shared sign-in
throttling, activation codes, override history

Revision ID: d7a91c2e4f10
Revises: c4d2e8a91b07
Create Date: 2026-12-02 06:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd7a91c2e4f10'
down_revision = 'c4d2e8a91b07'
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

# The audit log is append-only in the database itself. (TRUNCATE, which only
# the database owner can run, is not a row operation; the test suite uses it
# on PostgreSQL to empty tables, and on SQLite drops and re-creates these.)
PG_FUNCTION = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only';
END $$ LANGUAGE plpgsql
"""
PG_TRIGGER = """
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
"""
SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
]


def upgrade():
    op.create_table('audit_events',
    sa.Column('id', BIGID, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('target_member_id', sa.Integer(), nullable=True),
    sa.Column('target', sa.String(length=200), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('detail', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['members.id'], name=op.f('fk_audit_events_actor_id_members')),
    sa.ForeignKeyConstraint(['target_member_id'], ['members.id'], name=op.f('fk_audit_events_target_member_id_members')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_audit_events_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    op.create_index(op.f('ix_audit_events_at'), 'audit_events', ['at'], unique=False)
    op.create_index(op.f('ix_audit_events_action'), 'audit_events', ['action'], unique=False)
    op.create_index(op.f('ix_audit_events_actor_id'), 'audit_events', ['actor_id'], unique=False)
    op.create_index(op.f('ix_audit_events_target_member_id'), 'audit_events', ['target_member_id'], unique=False)

    op.create_table('member_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_sessions_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_sessions'))
    )
    op.create_index(op.f('ix_member_sessions_member_id'), 'member_sessions', ['member_id'], unique=False)

    op.create_table('auth_throttle',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_failure_at', sa.DateTime(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_auth_throttle'))
    )

    op.create_table('activation_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_activation_codes_member_id_members')),
    sa.ForeignKeyConstraint(['created_by'], ['members.id'], name=op.f('fk_activation_codes_created_by_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activation_codes'))
    )
    op.create_index(op.f('ix_activation_codes_member_id'), 'activation_codes', ['member_id'], unique=False)

    op.create_table('quiz_test_override_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('test_id', sa.String(length=80), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('change', sa.String(length=20), nullable=False),
    sa.Column('extra_minutes', sa.Integer(), nullable=False),
    sa.Column('opens_at', sa.DateTime(), nullable=True),
    sa.Column('closes_at', sa.DateTime(), nullable=True),
    sa.Column('extra_attempts', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('changed_by', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['test_id'], ['quiz_tests.id'], name=op.f('fk_quiz_test_override_changes_test_id_quiz_tests')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_quiz_test_override_changes_member_id_members')),
    sa.ForeignKeyConstraint(['changed_by'], ['members.id'], name=op.f('fk_quiz_test_override_changes_changed_by_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_test_override_changes'))
    )
    op.create_index('ix_quiz_test_override_changes_test_member', 'quiz_test_override_changes', ['test_id', 'member_id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER audit_events_append_only ON audit_events')
        op.execute('DROP FUNCTION audit_events_append_only()')
    op.drop_index('ix_quiz_test_override_changes_test_member', table_name='quiz_test_override_changes')
    op.drop_table('quiz_test_override_changes')
    op.drop_index(op.f('ix_activation_codes_member_id'), table_name='activation_codes')
    op.drop_table('activation_codes')
    op.drop_table('auth_throttle')
    op.drop_index(op.f('ix_member_sessions_member_id'), table_name='member_sessions')
    op.drop_table('member_sessions')
    for name in ('ix_audit_events_target_member_id', 'ix_audit_events_actor_id',
                 'ix_audit_events_action', 'ix_audit_events_at'):
        op.drop_index(op.f(name), table_name='audit_events')
    op.drop_table('audit_events')
