"""quiz regrades: deliberate, recorded corrections of a question's grading

Revision ID: c4d2e8a91b07
Revises: b83bbabf0436
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4d2e8a91b07'
down_revision = 'b83bbabf0436'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('quiz_regrades',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('test_id', sa.String(length=80), nullable=False),
    sa.Column('question_version_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rule', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['question_version_id'], ['question_versions.id'], name=op.f('fk_quiz_regrades_question_version_id_question_versions')),
    sa.ForeignKeyConstraint(['test_id'], ['quiz_tests.id'], name=op.f('fk_quiz_regrades_test_id_quiz_tests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_regrades')),
    sa.UniqueConstraint('test_id', 'question_version_id', name=op.f('uq_quiz_regrades_test_id_question_version_id'))
    )
    op.create_table('quiz_regrade_changes',
    sa.Column('regrade_id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('old_score', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('new_score', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('old_passed', sa.Boolean(), nullable=False),
    sa.Column('new_passed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempts.id'], name=op.f('fk_quiz_regrade_changes_attempt_id_quiz_attempts')),
    sa.ForeignKeyConstraint(['regrade_id'], ['quiz_regrades.id'], name=op.f('fk_quiz_regrade_changes_regrade_id_quiz_regrades')),
    sa.PrimaryKeyConstraint('regrade_id', 'attempt_id', name=op.f('pk_quiz_regrade_changes'))
    )


def downgrade():
    op.drop_table('quiz_regrade_changes')
    op.drop_table('quiz_regrades')
