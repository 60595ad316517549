"""participation rollups, and triggers that mark changed members for their refresh

Triggers, not application hooks: the ledger, memberships and attempts are
written from many places (the heartbeat, trainings, imports, the demo's bulk
inserts, the quiz engine) and every one of them must reach the rollups.

Revision ID: b83bbabf0436
Revises: 17b4f10ab206
Create Date: 2026-11-26 14:42:59.885166

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b83bbabf0436'
down_revision = '17b4f10ab206'
branch_labels = None
depends_on = None


# Each mark keeps the earliest day touched; NULL means every period.
MERGE_SINCE = ("CASE WHEN report_dirty.since IS NULL OR excluded.since IS NULL THEN NULL "
               "ELSE {least}(report_dirty.since, excluded.since) END")

PG_FUNCTIONS = [
    f"""CREATE FUNCTION report_mark(m integer, d date) RETURNS void LANGUAGE sql AS $$
        INSERT INTO report_dirty (member_id, since) VALUES (m, d)
        ON CONFLICT (member_id) DO UPDATE SET since = {MERGE_SINCE.format(least="LEAST")}
    $$""",
    """CREATE FUNCTION report_mark_credit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF TG_OP <> 'INSERT' THEN PERFORM report_mark(OLD.member_id, OLD.earned_on); END IF;
        IF TG_OP <> 'DELETE' THEN PERFORM report_mark(NEW.member_id, NEW.earned_on); END IF;
        RETURN NULL; END $$""",
    """CREATE FUNCTION report_mark_membership() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF TG_OP = 'INSERT' THEN PERFORM report_mark(NEW.member_id, NEW.started_on);
        ELSE PERFORM report_mark(OLD.member_id, NULL);
             IF TG_OP = 'UPDATE' THEN PERFORM report_mark(NEW.member_id, NULL); END IF;
        END IF;
        RETURN NULL; END $$""",
    """CREATE FUNCTION report_mark_member() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        PERFORM report_mark(NEW.id, NULL); RETURN NULL; END $$""",
    """CREATE FUNCTION report_mark_attempt() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        PERFORM report_mark(NEW.member_id, NULL); RETURN NULL; END $$""",
]
PG_TRIGGERS = [
    "CREATE TRIGGER report_mark_credit AFTER INSERT OR UPDATE OR DELETE ON credit_entries "
    "FOR EACH ROW EXECUTE FUNCTION report_mark_credit()",
    "CREATE TRIGGER report_mark_membership AFTER INSERT OR UPDATE OR DELETE ON memberships "
    "FOR EACH ROW EXECUTE FUNCTION report_mark_membership()",
    "CREATE TRIGGER report_mark_member AFTER UPDATE OF category, exempt ON members "
    "FOR EACH ROW WHEN (OLD.category IS DISTINCT FROM NEW.category "
    "OR OLD.exempt IS DISTINCT FROM NEW.exempt) EXECUTE FUNCTION report_mark_member()",
    "CREATE TRIGGER report_mark_attempt_insert AFTER INSERT ON quiz_attempts "
    "FOR EACH ROW WHEN (NEW.status <> 'open') EXECUTE FUNCTION report_mark_attempt()",
    "CREATE TRIGGER report_mark_attempt_update AFTER UPDATE OF status, passed ON quiz_attempts "
    "FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status "
    "OR OLD.passed IS DISTINCT FROM NEW.passed) EXECUTE FUNCTION report_mark_attempt()",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS report_mark_credit ON credit_entries",
    "DROP TRIGGER IF EXISTS report_mark_membership ON memberships",
    "DROP TRIGGER IF EXISTS report_mark_member ON members",
    "DROP TRIGGER IF EXISTS report_mark_attempt_insert ON quiz_attempts",
    "DROP TRIGGER IF EXISTS report_mark_attempt_update ON quiz_attempts",
    "DROP FUNCTION IF EXISTS report_mark_credit()",
    "DROP FUNCTION IF EXISTS report_mark_membership()",
    "DROP FUNCTION IF EXISTS report_mark_member()",
    "DROP FUNCTION IF EXISTS report_mark_attempt()",
    "DROP FUNCTION IF EXISTS report_mark(integer, date)",
]


def _sqlite_mark(member: str, since: str) -> str:
    return (f"INSERT INTO report_dirty (member_id, since) VALUES ({member}, {since}) "
            f"ON CONFLICT (member_id) DO UPDATE SET since = {MERGE_SINCE.format(least='min')};")


SQLITE_TRIGGERS = {
    "report_mark_credit_insert": "AFTER INSERT ON credit_entries BEGIN "
    + _sqlite_mark("NEW.member_id", "NEW.earned_on") + " END",
    "report_mark_credit_update": "AFTER UPDATE ON credit_entries BEGIN "
    + _sqlite_mark("OLD.member_id", "OLD.earned_on")
    + _sqlite_mark("NEW.member_id", "NEW.earned_on") + " END",
    "report_mark_credit_delete": "AFTER DELETE ON credit_entries BEGIN "
    + _sqlite_mark("OLD.member_id", "OLD.earned_on") + " END",
    "report_mark_membership_insert": "AFTER INSERT ON memberships BEGIN "
    + _sqlite_mark("NEW.member_id", "NEW.started_on") + " END",
    "report_mark_membership_update": "AFTER UPDATE ON memberships BEGIN "
    + _sqlite_mark("OLD.member_id", "NULL") + _sqlite_mark("NEW.member_id", "NULL") + " END",
    "report_mark_membership_delete": "AFTER DELETE ON memberships BEGIN "
    + _sqlite_mark("OLD.member_id", "NULL") + " END",
    "report_mark_member": "AFTER UPDATE OF category, exempt ON members "
    "WHEN OLD.category IS NOT NEW.category OR OLD.exempt IS NOT NEW.exempt BEGIN "
    + _sqlite_mark("NEW.id", "NULL") + " END",
    "report_mark_attempt_insert": "AFTER INSERT ON quiz_attempts WHEN NEW.status <> 'open' "
    "BEGIN " + _sqlite_mark("NEW.member_id", "NULL") + " END",
    "report_mark_attempt_update": "AFTER UPDATE OF status, passed ON quiz_attempts "
    "WHEN OLD.status IS NOT NEW.status OR OLD.passed IS NOT NEW.passed BEGIN "
    + _sqlite_mark("NEW.member_id", "NULL") + " END",
}


def create_triggers():
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_FUNCTIONS + PG_TRIGGERS:
            op.execute(statement)
    else:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def drop_triggers():
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DROP:
            op.execute(statement)
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('report_dirty',
    sa.Column('member_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('since', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_report_dirty'))
    )
    op.create_table('report_periods',
    sa.Column('key', sa.String(length=10), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('built_at', sa.DateTime(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_report_periods'))
    )
    op.create_table('report_org_stats',
    sa.Column('period_key', sa.String(length=10), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('on_roll', sa.Integer(), nullable=False),
    sa.Column('exempt', sa.Integer(), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=False),
    sa.Column('attained', sa.Integer(), nullable=False),
    sa.Column('eligible', sa.Integer(), nullable=False),
    sa.Column('submitted', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_report_org_stats_org_id_organizations')),
    sa.ForeignKeyConstraint(['period_key'], ['report_periods.key'], name=op.f('fk_report_org_stats_period_key_report_periods'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('period_key', 'org_id', name=op.f('pk_report_org_stats'))
    )
    op.create_table('report_member_hours',
    sa.Column('period_key', sa.String(length=10), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=9, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_report_member_hours_member_id_members')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_report_member_hours_org_id_organizations')),
    sa.ForeignKeyConstraint(['period_key'], ['report_periods.key'], name=op.f('fk_report_member_hours_period_key_report_periods'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('period_key', 'member_id', 'org_id', name=op.f('pk_report_member_hours'))
    )
    with op.batch_alter_table('report_member_hours', schema=None) as batch_op:
        batch_op.create_index('ix_report_member_hours_period_key_org_id', ['period_key', 'org_id'], unique=False)

    op.create_table('report_member_stats',
    sa.Column('period_key', sa.String(length=10), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('exempt', sa.Boolean(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=9, scale=2), nullable=False),
    sa.Column('target', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('days_owed', sa.Integer(), nullable=False),
    sa.Column('eligible', sa.Integer(), nullable=False),
    sa.Column('submitted', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_report_member_stats_member_id_members')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_report_member_stats_org_id_organizations')),
    sa.ForeignKeyConstraint(['period_key'], ['report_periods.key'], name=op.f('fk_report_member_stats_period_key_report_periods'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('period_key', 'member_id', name=op.f('pk_report_member_stats'))
    )
    with op.batch_alter_table('report_member_stats', schema=None) as batch_op:
        batch_op.create_index('ix_report_member_stats_period_key_org_id', ['period_key', 'org_id'], unique=False)

    # ### end Alembic commands ###
    create_triggers()


def downgrade():
    drop_triggers()
    with op.batch_alter_table('report_member_stats', schema=None) as batch_op:
        batch_op.drop_index('ix_report_member_stats_period_key_org_id')

    op.drop_table('report_member_stats')
    with op.batch_alter_table('report_member_hours', schema=None) as batch_op:
        batch_op.drop_index('ix_report_member_hours_period_key_org_id')

    op.drop_table('report_member_hours')
    op.drop_table('report_org_stats')
    op.drop_table('report_periods')
    op.drop_table('report_dirty')
    # ### end Alembic commands ###
