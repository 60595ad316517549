"""default annual credit targets per member category

《中国共产党党员教育管理工作条例》 art. 20: members at least 32 学时 a year;
branch secretaries and committee members at least 56. Admins may change them.

Revision ID: a1c3e5f70001
Revises: 16035b7d6bad
Create Date: 2026-11-26 13:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "a1c3e5f70001"
down_revision = "16035b7d6bad"
branch_labels = None
depends_on = None

targets = sa.table("credit_targets", sa.column("category", sa.String),
                   sa.column("annual_hours", sa.Numeric))


def upgrade():
    op.bulk_insert(targets, [
        {"category": "member", "annual_hours": 32},
        {"category": "secretary", "annual_hours": 56},
        {"category": "activist", "annual_hours": 32},
    ])


def downgrade():
    op.execute(targets.delete())
