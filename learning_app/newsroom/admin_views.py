"""The newsroom's county pages: the setup (review levels and their people,
错敏词, freshness thresholds; the county admin only), the freshness watch, and
the site builds with their live status (JSON, polled by ``static/newsroom/builds.js``).

Every change goes through ``service`` (which checks, writes and audits it); a
refusal is shown next to the form it concerns, with the form as it was sent.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from learning_app.audit.query import beijing
from learning_app.auth.lookup import find_member
from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.ids import parse_id
from learning_app.models import (
    AuditEvent,
    Member,
    NewsArticle,
    NewsRevision,
    SensitiveWord,
    SiteBuild,
)
from learning_app.models.newsroom import BUILD_STATES, SECTIONS
from learning_app.models.types import utcnow
from learning_app.newsroom import admin_pages, rules, service
from learning_app.newsroom.access import newsroom_admin_required, newsroom_required
from learning_app.newsroom.blueprint import bp
from learning_app.newsroom.builds import SiteLayout, live_target
from learning_app.newsroom.publish import site_today

RECENT_BUILDS = 30
SITE_URL = "/"  # the app serves the live site at its root
# service.* records each change with one of these targets (audit log, news_config).
CONFIG_TARGETS = {"levels": "审核级别", "words": "错敏词", "thresholds": "更新时限"}


def local_time(moment: dt.datetime | None) -> str:
    """A naive UTC moment as Beijing time, to the minute."""
    return beijing(moment)[:16] if moment is not None else ""


# -- settings (county admin) -------------------------------------------------------


def _last_changes() -> dict[str, dict[str, str]]:
    """Who changed each part of the setup last, from the audit log (one query)."""
    latest = (select(func.max(AuditEvent.id))
              .where(AuditEvent.action == "news_config",
                     AuditEvent.target.in_(CONFIG_TARGETS.values()))
              .group_by(AuditEvent.target))
    by_target = {event.target: event for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.id.in_(latest)))}
    return {key: {"actor": event.actor, "at": local_time(event.at), "detail": event.detail or ""}
            for key, label in CONFIG_TARGETS.items()
            if (event := by_target.get(label)) is not None}


def _people(ids: set[int]) -> dict[int, Member]:
    if not ids:
        return {}
    return {member.id: member for member in db.session.scalars(
        select(Member).options(selectinload(Member.org)).where(Member.id.in_(ids)))}


def _render_settings(*, levels: admin_pages.LevelsForm | None = None,
                     words: str | None = None, words_problems: list[str] | None = None,
                     thresholds: dict[str, str] | None = None,
                     threshold_problems: dict[str, str] | None = None,
                     status: int = 200) -> Any:
    if levels is None:
        levels = admin_pages.form_from_config(service.levels_config(db.session))
    people = _people({member for row in levels.rows for member in row.member_ids}
                     | set(levels.new.member_ids))
    stored_words = list(db.session.execute(
        select(SensitiveWord.word, SensitiveWord.suggestion).order_by(SensitiveWord.id)))
    stale = service.stale_days(db.session)
    page = render_template(
        "newsroom/settings.html", levels=levels, people=people,
        max_levels=rules.MAX_LEVELS,
        words=admin_pages.words_text(stored_words) if words is None else words,
        word_count=len(stored_words), words_problems=words_problems or [],
        thresholds=thresholds or {key: str(days) for key, days in stale.items()},
        threshold_problems=threshold_problems or {}, defaults=rules.STALE_DEFAULTS,
        changes=_last_changes())
    return page, status


@bp.get("/settings")
@newsroom_admin_required
def settings() -> Any:
    return _render_settings()


@bp.post("/settings/levels")
@newsroom_admin_required
def save_levels() -> Any:
    form = admin_pages.read_levels_form(request.form)
    current = service.levels_config(db.session)
    if form.fingerprint != admin_pages.fingerprint(current):
        fresh = admin_pages.form_from_config(current)
        fresh.problem = "审核级别刚刚被其他人修改过，下面是最新的设置，请在此基础上重新修改后保存"
        return _render_settings(levels=fresh, status=409)
    admin_pages.resolve_additions(form, lambda typed: find_member(db.session, typed))
    if form.has_problems:
        form.problem = "没有保存，请按下面的提示修改"
        return _render_settings(levels=form, status=400)
    try:
        service.configure_levels(db.session, current_user._get_current_object(),
                                 admin_pages.levels_wanted(form), utcnow())
    except Refused as refusal:
        form.problem = f"没有保存：{refusal.message}"
        return _render_settings(levels=form, status=refusal.status)
    flash("审核级别已保存", "success")
    return redirect(url_for("newsroom.settings") + "#levels", 303)


@bp.post("/settings/words")
@newsroom_admin_required
def save_words() -> Any:
    text = request.form.get("words", "")
    pairs, problems = admin_pages.parse_words(text)
    if problems:
        return _render_settings(words=text, words_problems=[str(p) for p in problems[:20]],
                                status=400)
    try:
        kept = service.set_sensitive_words(db.session, current_user._get_current_object(),
                                           pairs, utcnow())
    except Refused as refusal:
        return _render_settings(words=text, words_problems=[refusal.message],
                                status=refusal.status)
    flash(f"错敏词表已保存，共{kept}个词" if kept else "错敏词表已清空", "success")
    return redirect(url_for("newsroom.settings") + "#words", 303)


@bp.post("/settings/thresholds")
@newsroom_admin_required
def save_thresholds() -> Any:
    typed = {key: (request.form.get(key) or "").strip()[:10] for key in ("news", "policy")}
    values = {key: admin_pages.parse_days(text) for key, text in typed.items()}
    problems = {key: f"{SECTIONS[key]}的更新时限请填写天数（整数）"
                for key, value in values.items() if value is None}
    if not problems:
        try:
            service.set_stale_days(db.session, current_user._get_current_object(),
                                   news=values["news"] or 0, policy=values["policy"] or 0,
                                   now=utcnow())
        except Refused as refusal:
            problems = {admin_pages.threshold_field(refusal.message): refusal.message}
    if problems:
        return _render_settings(thresholds=typed, threshold_problems=problems, status=400)
    flash("更新时限已保存", "success")
    return redirect(url_for("newsroom.settings") + "#thresholds", 303)


# -- the freshness watch -----------------------------------------------------------


def _scheduled_first(today: dt.date) -> dict[str, dt.date]:
    """Per section, the earliest article signed off to go live on a later day."""
    return {section: day for section, day in db.session.execute(
        select(NewsArticle.section, func.min(NewsArticle.publish_on))
        .where(NewsArticle.state == "scheduled", NewsArticle.publish_on >= today)
        .group_by(NewsArticle.section)) if day is not None}


@bp.get("/freshness")
@newsroom_required
def freshness() -> Any:
    today = site_today(utcnow())
    last, warnings = service.freshness(db.session, today)
    rows = admin_pages.freshness_rows(last, _scheduled_first(today),
                                      service.stale_days(db.session), today, warnings)
    return render_template("newsroom/freshness.html", rows=rows, warnings=warnings,
                           today=admin_pages.day_text(today))


# -- site builds -------------------------------------------------------------------


def _live_dir() -> str | None:
    """The build directory the site is served from now, if it is a newsroom build."""
    try:
        target = live_target(SiteLayout.from_config(current_app.config).live)
    except (KeyError, OSError, RuntimeError):
        return None
    return str(target) if target is not None else None


def _titles_at(paths: set[str]) -> dict[str, str]:
    """The newsroom articles at these content paths: {path: current title}."""
    if not paths:
        return {}
    return {path: title for path, title in db.session.execute(
        select(NewsArticle.path, NewsRevision.front_matter["title"].as_string())
        .join(NewsRevision, NewsRevision.id == NewsArticle.current_revision_id)
        .where(NewsArticle.path.in_(paths))) if title}


def _build_view(build: SiteBuild, live_dir: str | None,
                problems: list[admin_pages.BuildProblem], titles: dict[str, str]
                ) -> dict[str, Any]:
    summary, report = admin_pages.build_summary(build.error)
    return {
        "id": build.id, "status": build.status,
        "label": BUILD_STATES.get(build.status, "未知"),
        "reason": build.reason or "",
        "requested": local_time(build.requested_at), "started": local_time(build.started_at),
        "finished": local_time(build.finished_at),
        "summary": summary, "report": report,
        "problems": [problem.text(titles.get(problem.path)) for problem in problems],
        "current": bool(live_dir and build.site_dir and build.status == "live"
                        and str(_resolved(build.site_dir)) == live_dir),
    }


def _resolved(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return path


@bp.get("/builds")
@newsroom_required
def builds() -> Any:
    recent = list(db.session.scalars(select(SiteBuild).order_by(SiteBuild.id.desc())
                                     .limit(RECENT_BUILDS)))
    live_dir = _live_dir()
    problems = {build.id: admin_pages.build_problems(build.error)
                for build in recent if build.status == "failed"}
    titles = _titles_at({problem.path for found in problems.values() for problem in found})
    scheduled = db.session.execute(
        select(NewsArticle, NewsRevision.front_matter["title"].as_string())
        .join(NewsRevision, NewsRevision.id == NewsArticle.current_revision_id)
        .where(NewsArticle.state == "scheduled")
        .order_by(NewsArticle.publish_on, NewsArticle.id).limit(100)).all()
    return render_template(
        "newsroom/builds.html",
        builds=[_build_view(b, live_dir, problems.get(b.id, []), titles) for b in recent],
        scheduled=[{"article": article, "title": title or article.article_id,
                    "section": SECTIONS.get(article.section, ""),
                    "day": admin_pages.day_text(article.publish_on)
                    if article.publish_on else "日期未定"}
                   for article, title in scheduled],
        site_url=SITE_URL, active=("queued", "building"))


@bp.get("/builds/status")
@newsroom_required
def build_status() -> Any:
    """The latest build, or ``?id=`` one: {id, status, label, error, started_at,
    finished_at} (Beijing time, to the minute)."""
    query = select(SiteBuild)
    if "id" in request.args:
        build_id = parse_id(request.args.get("id"))
        build = db.session.get(SiteBuild, build_id) if build_id is not None else None
        if build is None:
            return {"error": "没有找到这次网站更新"}, 404
    else:
        build = db.session.scalars(query.order_by(SiteBuild.id.desc()).limit(1)).first()
    response: dict[str, Any] = {"id": None, "status": None, "label": "还没有网站更新记录",
                                "error": None, "started_at": None, "finished_at": None}
    if build is not None:
        response = {"id": build.id, "status": build.status,
                    "label": BUILD_STATES.get(build.status, "未知"), "error": build.error,
                    "started_at": local_time(build.started_at) or None,
                    "finished_at": local_time(build.finished_at) or None}
    return response, 200, {"Cache-Control": "no-store"}
