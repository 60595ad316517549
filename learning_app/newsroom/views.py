"""The newsroom's blueprint (在线采编, /app/newsroom/): the desk (index), the menu's
待我审核 count, and the commands ``build-site`` and ``newsroom-runner``.

The pages live in one module per job, each adding its routes to ``bp``:
``draft_views`` (writing, autosave, preview, uploads), ``review_views`` (review,
trail, diff, history, withdrawal) and ``admin_views`` (the county's setup, the
freshness watch, site builds).
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from learning_app.cli import add_commands
from learning_app.extensions import db
from learning_app.models import Member, NewsArticle, NewsRevision, SiteBuild
from learning_app.models.newsroom import BUILD_STATES, SECTIONS, STATES
from learning_app.newsroom import service
from learning_app.newsroom.access import current_actor, may_enter, newsroom_required
from learning_app.newsroom.admin_pages import build_summary
from learning_app.newsroom.blueprint import bp
from learning_app.newsroom.cli import build_site_command, newsroom_runner_command

add_commands(bp, build_site_command, newsroom_runner_command)


@bp.app_context_processor
def newsroom_menu() -> dict[str, Any]:
    """The menu's 在线采编 entry and its 待我审核 count (one query, reviewers only)."""
    if not current_user.is_authenticated or not may_enter():
        return {"newsroom_menu": None}
    waiting = service.waiting_count(db.session, current_user.id) if current_actor().levels else 0
    return {"newsroom_menu": {"waiting": waiting}}


@bp.get("/")
@newsroom_required
def index() -> Any:
    actor = current_actor()
    waiting = service.waiting_for(db.session, actor.id) if actor.levels else []
    rows = db.session.execute(
        select(NewsArticle, NewsRevision, Member.name)
        .join(NewsRevision, NewsRevision.id == NewsArticle.current_revision_id)
        .join(Member, Member.id == NewsArticle.created_by)
        .order_by(NewsArticle.updated_at.desc(), NewsArticle.id.desc()).limit(200)).all()
    titles = dict(db.session.execute(
        select(NewsArticle.id, NewsRevision.front_matter["title"].as_string())
        .join(NewsRevision, NewsRevision.id == NewsArticle.current_revision_id)
        .where(NewsArticle.id.in_([article.id for article in waiting]))).all()) if waiting else {}
    build = db.session.scalar(select(SiteBuild).order_by(SiteBuild.id.desc()).limit(1))
    return render_template("newsroom/index.html", actor=actor, waiting=waiting, rows=rows,
                           titles=titles, build=build, states=STATES, sections=SECTIONS,
                           build_states=BUILD_STATES, build_summary=build_summary,
                           level_names=service.level_names(db.session))


# The pages register their routes on ``bp`` when imported.
from learning_app.newsroom import admin_views, draft_views, review_views  # noqa: E402,F401
