"""newsroom: articles, revisions, review trail and levels, media, builds

Revision ID: e3c5a7b9d101
Revises: d7a91c2e4f10
Create Date: 2026-12-02 06:44:57.447551

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3c5a7b9d101'
down_revision = 'd7a91c2e4f10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('newsroom_builds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('site_dir', sa.String(length=300), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsroom_builds'))
    )
    with op.batch_alter_table('newsroom_builds', schema=None) as batch_op:
        batch_op.create_index('ix_newsroom_builds_status', ['status'], unique=False)

    op.create_table('newsroom_levels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsroom_levels')),
    sa.UniqueConstraint('position', name=op.f('uq_newsroom_levels_position'))
    )
    op.create_table('newsroom_sensitive_words',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('word', sa.String(length=50), nullable=False),
    sa.Column('suggestion', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsroom_sensitive_words')),
    sa.UniqueConstraint('word', name=op.f('uq_newsroom_sensitive_words_word'))
    )
    op.create_table('newsroom_settings',
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_newsroom_settings'))
    )
    op.create_table('newsroom_articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.String(length=80), nullable=False),
    sa.Column('section', sa.String(length=20), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('current_revision_id', sa.Integer(), nullable=True),
    sa.Column('published_revision_id', sa.Integer(), nullable=True),
    sa.Column('publish_on', sa.Date(), nullable=True),
    sa.Column('went_live_at', sa.DateTime(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['members.id'], name=op.f('fk_newsroom_articles_created_by_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsroom_articles')),
    sa.UniqueConstraint('article_id', name=op.f('uq_newsroom_articles_article_id'))
    )
    op.create_table('newsroom_reviewers',
    sa.Column('level_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['level_id'], ['newsroom_levels.id'], name=op.f('fk_newsroom_reviewers_level_id_newsroom_levels')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_newsroom_reviewers_member_id_members')),
    sa.PrimaryKeyConstraint('level_id', 'member_id', name=op.f('pk_newsroom_reviewers'))
    )
    op.create_table('newsroom_media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('alt', sa.String(length=200), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['newsroom_articles.id'], name=op.f('fk_newsroom_media_article_id_newsroom_articles')),
    sa.ForeignKeyConstraint(['uploaded_by'], ['members.id'], name=op.f('fk_newsroom_media_uploaded_by_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsroom_media'))
    )
    with op.batch_alter_table('newsroom_media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_newsroom_media_article_id'), ['article_id'], unique=False)

    op.create_table('newsroom_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('front_matter', sa.JSON(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['newsroom_articles.id'], name=op.f('fk_newsroom_revisions_article_id_newsroom_articles')),
    sa.ForeignKeyConstraint(['author_id'], ['members.id'], name=op.f('fk_newsroom_revisions_author_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsroom_revisions')),
    sa.UniqueConstraint('article_id', 'number', name=op.f('uq_newsroom_revisions_article_id_number'))
    )
    with op.batch_alter_table('newsroom_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_newsroom_revisions_article_id'), ['article_id'], unique=False)

    op.create_table('newsroom_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('secrecy_confirmed', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['members.id'], name=op.f('fk_newsroom_steps_actor_id_members')),
    sa.ForeignKeyConstraint(['article_id'], ['newsroom_articles.id'], name=op.f('fk_newsroom_steps_article_id_newsroom_articles')),
    sa.ForeignKeyConstraint(['revision_id'], ['newsroom_revisions.id'], name=op.f('fk_newsroom_steps_revision_id_newsroom_revisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsroom_steps'))
    )
    with op.batch_alter_table('newsroom_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_newsroom_steps_article_id'), ['article_id'], unique=False)


    levels = sa.table('newsroom_levels', sa.column('position', sa.Integer),
                      sa.column('name', sa.String))
    op.bulk_insert(levels, [{'position': 1, 'name': '初审'}, {'position': 2, 'name': '复审'},
                            {'position': 3, 'name': '终审签发'}])
    settings = sa.table('newsroom_settings', sa.column('key', sa.String),
                        sa.column('value', sa.JSON))
    op.bulk_insert(settings, [{'key': 'stale_days', 'value': {'news': 14, 'policy': 183}}])


def downgrade():
    with op.batch_alter_table('newsroom_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_newsroom_steps_article_id'))

    op.drop_table('newsroom_steps')
    with op.batch_alter_table('newsroom_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_newsroom_revisions_article_id'))

    op.drop_table('newsroom_revisions')
    with op.batch_alter_table('newsroom_media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_newsroom_media_article_id'))

    op.drop_table('newsroom_media')
    op.drop_table('newsroom_reviewers')
    op.drop_table('newsroom_articles')
    op.drop_table('newsroom_settings')
    op.drop_table('newsroom_sensitive_words')
    op.drop_table('newsroom_levels')
    with op.batch_alter_table('newsroom_builds', schema=None) as batch_op:
        batch_op.drop_index('ix_newsroom_builds_status')

    op.drop_table('newsroom_builds')
