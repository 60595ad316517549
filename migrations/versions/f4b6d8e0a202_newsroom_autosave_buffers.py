"""newsroom: autosave buffers (an editor's unsaved typing, one per article and member)

Revision ID: f4b6d8e0a202
Revises: e3c5a7b9d101
Create Date: 2026-12-02 13:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f4b6d8e0a202'
down_revision = 'e3c5a7b9d101'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('newsroom_autosaves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('base_revision_id', sa.Integer(), nullable=False),
    sa.Column('front_matter', sa.JSON(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('saved_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['newsroom_articles.id'], name=op.f('fk_newsroom_autosaves_article_id_newsroom_articles')),
    sa.ForeignKeyConstraint(['base_revision_id'], ['newsroom_revisions.id'], name=op.f('fk_newsroom_autosaves_base_revision_id_newsroom_revisions')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_newsroom_autosaves_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsroom_autosaves')),
    sa.UniqueConstraint('article_id', 'member_id', name=op.f('uq_newsroom_autosaves_article_id_member_id'))
    )


def downgrade():
    op.drop_table('newsroom_autosaves')
