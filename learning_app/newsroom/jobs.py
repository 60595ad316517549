"""The newsroom's job runner: Huey, its tasks, and publishing a signed-off article.

Huey because it is small, well kept and has what publishing needs and nothing
more: tasks, ETAs (an article's go-live build at 00:00 Beijing time on its date)
and periodic tasks (the hourly safety net). Its SQLite storage
(``instance/newsroom-jobs.db``) needs no server, so ``make run`` stays one command;
with ``HUEY_REDIS_URL`` set it uses Redis instead (``pip install redis``).

The tasks only wake ``builds.run_pending``: the database's queue decides what gets
built, so a lost or duplicated task costs nothing (a duplicate finds nothing
queued; a lost one is made up by the next request or the hourly safety net).
One worker is enough: builds run one at a time anyway.

Tests use ``make_jobs(app, immediate=True)``: Huey's immediate mode runs a task at
once in the caller and keeps ETAs in memory; no consumer runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, SqliteHuey, crontab
from huey.api import TaskWrapper
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from learning_app.extensions import db
from learning_app.models.newsroom import NewsArticle, NewsMedia, NewsRevision, NewsStep, SiteBuild
from learning_app.models.types import utcnow
from learning_app.newsroom import builds
from learning_app.newsroom.media import gather_beside
from learning_app.newsroom.publish import (
    PublishError,
    content_file,
    go_live_moment,
    go_live_utc,
    is_future,
    site_today,
    write_atomically,
    write_revision,
)
from learning_app.settings import private_instance
from site_builder import registry

log = logging.getLogger(__name__)
QUEUE_NAME = "dangjian-newsroom"
EXTENSION = "newsroom_jobs"


@dataclass
class Jobs:
    """The Huey instance of an app and its tasks."""

    huey: Huey
    build: TaskWrapper  # drain the build queue
    go_live: TaskWrapper  # (day) the build that puts articles dated ``day`` live
    safety_net: TaskWrapper  # hourly: a due article no build has served yet
    clock: Callable[[], dt.datetime]

    def request_build(self, session: Session, reason: str, *,
                      now: dt.datetime | None = None) -> SiteBuild:
        """Queue (or join) a build and wake the runner; the build as it is after
        that (immediate mode: built). Commits."""
        build_id = builds.request_build(session, reason, now=now or self.clock())
        self.build()
        build = session.get(SiteBuild, build_id)
        assert build is not None
        return build

    def schedule_go_live(self, day: dt.date, *, now: dt.datetime | None = None) -> dt.datetime:
        """The build of ``day`` at its first moment in Beijing (or now, if that has
        passed); the ETA as naive UTC."""
        eta = go_live_utc(day)
        if eta <= (now or self.clock()):
            self.go_live(day.isoformat())
        else:
            self.go_live.schedule(args=(day.isoformat(),), eta=go_live_moment(day))
        return eta


def make_jobs(app: Flask, *, immediate: bool | None = None,
              clock: Callable[[], dt.datetime] = utcnow,
              builder: builds.Builder | None = None,
              publisher: builds.Publisher | None = None) -> Jobs:
    """A Huey for ``app``, its tasks running in the app's context."""
    config = app.config
    if immediate is None:
        immediate = bool(config.get("HUEY_IMMEDIATE"))
    huey: Huey
    if config.get("HUEY_REDIS_URL") and not immediate:
        from huey import RedisHuey

        huey = RedisHuey(QUEUE_NAME, url=config["HUEY_REDIS_URL"], results=False)
    else:
        filename = Path(config["HUEY_SQLITE_PATH"])
        if not immediate:  # immediate mode keeps its queue in memory: no file
            private_instance(filename.parent)
        huey = SqliteHuey(QUEUE_NAME, filename=str(filename), results=False,
                          immediate=immediate)
    # Huey decides whether a task is due by its own clock (naive UTC, as ours): give
    # it ours, so an injected clock and the runner agree on what time it is.
    huey._get_timestamp = clock  # type: ignore[method-assign]

    def drain() -> list[int]:
        return builds.run_pending(db.session, builds.SiteLayout.from_config(app.config),
                                  clock=clock, build=builder, publisher=publisher)

    def build_task() -> None:
        with app.app_context():
            drain()

    def go_live_task(day: str) -> None:
        with app.app_context():
            builds.request_build(db.session, f"定时上线：{day}的文章", now=clock())
            drain()

    def safety_net_task() -> None:
        with app.app_context():
            due = due_unserved(db.session, now=clock())
            if due:
                builds.request_build(db.session, f"定时上线补查：{len(due)}篇文章到期",
                                     now=clock())
            drain()  # also whatever a lost task left queued

    return Jobs(
        huey=huey,
        build=huey.task(name="newsroom.build")(build_task),
        go_live=huey.task(name="newsroom.go_live")(go_live_task),
        safety_net=huey.periodic_task(crontab(minute="7"),
                                      name="newsroom.safety_net")(safety_net_task),
        clock=clock,
    )


def jobs_for(app: Flask) -> Jobs:
    """The app's Jobs, made on first use (no queue file until something is queued)."""
    jobs = app.extensions.get(EXTENSION)
    if jobs is None:
        jobs = app.extensions[EXTENSION] = make_jobs(app)
    return jobs  # type: ignore[no-any-return]


def due_unserved(session: Session, *, now: dt.datetime) -> list[int]:
    """Scheduled articles whose day has come (Beijing time) and which no build
    started since that moment: the ids the hourly safety net builds for."""
    today = site_today(now)
    due = session.execute(select(NewsArticle.id, NewsArticle.publish_on)
                          .where(NewsArticle.state == "scheduled",
                                 NewsArticle.publish_on <= today)).all()
    last = session.scalar(select(func.max(SiteBuild.started_at))
                          .where(SiteBuild.status.in_(("building", "live"))))
    session.commit()
    return [pk for pk, day in due
            if day is not None and (last is None or last < go_live_utc(day))]


# -- publishing a signed-off article ---------------------------------------------------

def publish_signed(session: Session, article: NewsArticle, revision: NewsRevision, *,
                   now: dt.datetime | None = None, jobs: Jobs | None = None,
                   content_dir: Path | None = None) -> SiteBuild:
    """After 终审签发: the signed revision into content/, a build requested, and,
    for a date ahead, the build of that day scheduled.

    Call it with the approval (state and step) pending in ``session``: it commits
    them together with the build request, after the file is written; if the file
    can't be written (``PublishError``, a ``Refused``) nothing is committed, and if
    the commit fails the file is put back as it was."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    jobs = jobs or jobs_for(app)
    now = now or jobs.clock()
    content = content_dir or Path(app.config["CONTENT_DIR"])
    target = content_file(content, article.path)
    _retract_earlier(session, content, article, revision, Path(app.config["MKDOCS_CONFIG"]))
    before = target.read_text(encoding="utf-8") if target.is_file() else None
    gathered = gather_beside(content, article.path, list(session.scalars(
        select(NewsMedia.path).where(NewsMedia.article_id == article.id))))
    try:
        write_revision(content, article.path, revision.front_matter, revision.body,
                       today=site_today(now))
    except BaseException:
        for path in gathered:
            path.unlink(missing_ok=True)
        raise
    day = article.publish_on
    title = str(revision.front_matter.get("title", article.article_id))[:60]
    try:
        if app.config.get("NEWSROOM_GIT_COMMIT"):
            _git_commit(session, content, article, revision, "发布",
                        [target, media_folder(target)])
        build = jobs.request_build(session, f"签发：{title}", now=now)
    except BaseException:
        if before is None:
            target.unlink(missing_ok=True)
        else:
            write_atomically(target, before)
        for path in gathered:
            path.unlink(missing_ok=True)
        raise
    if day is not None and is_future(day, now):
        jobs.schedule_go_live(day, now=now)
    return build


def _retract_earlier(session: Session, content: Path, article: NewsArticle,
                     revision: NewsRevision, config_file: Path) -> None:
    """The article's earlier signed text, if its signature lapsed and it sits at
    another path (a column article re-dated to another month): out of content/
    before this one is checked and written, or the two would share one id."""
    earlier = session.scalars(
        select(NewsRevision).join(NewsStep, NewsStep.revision_id == NewsRevision.id)
        .where(NewsStep.article_id == article.id, NewsStep.action == "sign",
               NewsRevision.id != revision.id)
        .order_by(NewsRevision.id.desc()).limit(1)).first()
    if (earlier is not None and earlier.id != article.published_revision_id
            and builds.signed_path(article, earlier) != article.path):
        builds.retract(session, content, article, earlier,
                       builds.registered_ids(content, config_file))


def scheduled_etas(jobs: Jobs) -> list[tuple[str, Any]]:
    """The go-live tasks waiting (name, args, ETA), for staff pages and tests."""
    return [(task.name, task.args, task.eta) for task in jobs.huey.scheduled()]


def media_folder(article_file: Path) -> Path:
    """Where the newsroom keeps an article's uploads (``media.store_beside``)."""
    return article_file.with_name(article_file.stem + "-files")


def _git_commit(session: Session, content: Path, article: NewsArticle, revision: NewsRevision,
                verb: str, paths: list[Path], note: str | None = None) -> None:
    from learning_app.models import Member
    from learning_app.newsroom import git_record
    from learning_app.newsroom.service import approvers

    editor = session.get(Member, article.created_by)
    assert editor is not None
    title = str(revision.front_matter.get("title", article.article_id))
    git_record.commit(content, paths, author=git_record.Person(editor.name, editor.code),
                      text=git_record.message(title, verb, revision.number,
                                              approvers(session, article, revision), note))


def retire_id(content: Path, config_file: Path, article_id: str, path: str) -> None:
    """Mark ``article_id`` retired in the registry the build reads (the committed
    file, or ``SITE_REGISTRY``'s): the build then accepts that its page is gone
    and never gives the id to another article."""
    files = registry.locate(content, project_dir=config_file.resolve().parent)
    entries, errors = registry.load(files)
    if errors:
        raise PublishError("文章编号登记表有误，撤稿没有执行：" + errors[0].message)
    entry = entries.get(article_id)
    entries[article_id] = (registry.Entry(article_id, path, retired=True) if entry is None
                           else dataclasses.replace(entry, retired=True))
    registry.save(files, entries)


def take_down(session: Session, article: NewsArticle, revision: NewsRevision, *,
              now: dt.datetime | None = None, jobs: Jobs | None = None,
              content_dir: Path | None = None) -> SiteBuild:
    """After 撤稿: the article's file and its uploads out of content/, its id
    retired, a build requested (the next site has no page for it; the app's sync
    then marks it withdrawn, and the credits members earned stay).

    Call it with the withdrawal pending in ``session`` (``service.withdraw``'s
    hook): the build request commits it. If the files can't be moved aside
    nothing is committed; if the commit fails they are put back."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    jobs = jobs or jobs_for(app)
    now = now or jobs.clock()
    content = content_dir or Path(app.config["CONTENT_DIR"])
    target = content_file(content, article.path)
    folder = media_folder(target)
    # Moved aside first (renames, on the same file system), deleted once committed.
    aside = Path(tempfile.mkdtemp(prefix=f".withdrawn-{article.article_id}-", dir=target.parent))
    moved = [(path, aside / path.name) for path in (target, folder) if path.exists()]
    registry_before = _registry_text(content, Path(app.config["MKDOCS_CONFIG"]))
    try:
        for path, away in moved:
            path.rename(away)
        retire_id(content, Path(app.config["MKDOCS_CONFIG"]), article.article_id, article.path)
        if app.config.get("NEWSROOM_GIT_COMMIT"):
            _git_commit(session, content, article, revision, "撤稿", [target, folder])
        title = str(revision.front_matter.get("title", article.article_id))[:60]
        build = jobs.request_build(session, f"撤稿：{title}", now=now)
    except BaseException:
        for path, away in moved:
            if away.exists() and not path.exists():
                away.rename(path)
        _restore_registry(content, Path(app.config["MKDOCS_CONFIG"]), registry_before)
        shutil.rmtree(aside, ignore_errors=True)
        raise
    shutil.rmtree(aside, ignore_errors=True)
    return build


def _registry_text(content: Path, config_file: Path) -> tuple[Path, str | None]:
    target = registry.locate(content, project_dir=config_file.resolve().parent).target
    return target, target.read_text(encoding="utf-8") if target.is_file() else None


def _restore_registry(content: Path, config_file: Path, before: tuple[Path, str | None]) -> None:
    target, text = before
    if text is None:
        target.unlink(missing_ok=True)
    else:
        write_atomically(target, text)
