"""Editors' view of the site's articles in the app, and the manual sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from sqlalchemy import func, select

from learning_app.auth.access import editor_required
from learning_app.cli import add_commands
from learning_app.content.cli import sync_content_command
from learning_app.content.sync import ManifestError, read_manifest, sync
from learning_app.credits.sources import ref_column
from learning_app.extensions import db
from learning_app.models import Article, CreditEntry

bp = Blueprint("content", __name__, url_prefix="/app/content", cli_group=None)
add_commands(bp, sync_content_command)


@bp.get("/")
@editor_required
def index() -> Any:
    readers = dict(db.session.execute(
        select(ref_column("reading"), func.count())
        .where(CreditEntry.source_type == "reading").group_by(CreditEntry.source_key)
    ).all())
    articles = list(db.session.scalars(select(Article).order_by(Article.published.desc(),
                                                                Article.id)))
    return render_template("content.html", articles=articles, readers=readers)


@bp.post("/sync")
@editor_required
def do_sync() -> Any:
    path = Path(current_app.config["SITE_DIR"]) / "learning-manifest.json"
    try:
        result = sync(db.session, read_manifest(path))
    except ManifestError as exc:
        flash(str(exc), "error")
    else:
        flash(f"同步完成：新增{result.added}篇，更新{result.updated}篇，"
              f"未变{result.unchanged}篇，下线{result.withdrawn}篇", "success")
    return redirect(url_for(".index"))
