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

import datetime as dt
import logging
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
from learning_app.models.newsroom import NewsArticle, NewsRevision, SiteBuild
from learning_app.models.types import utcnow
from learning_app.newsroom import builds
from learning_app.newsroom.publish import (
    content_file,
    go_live_moment,
    go_live_utc,
    is_future,
    site_today,
    write_atomically,
    write_revision,
)
from learning_app.settings import private_instance

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
    before = target.read_text(encoding="utf-8") if target.is_file() else None
    write_revision(content, article.path, revision.front_matter, revision.body,
                   today=site_today(now))
    day = article.publish_on
    title = str(revision.front_matter.get("title", article.article_id))[:60]
    try:
        build = jobs.request_build(session, f"签发：{title}", now=now)
    except BaseException:
        if before is None:
            target.unlink(missing_ok=True)
        else:
            write_atomically(target, before)
        raise
    if day is not None and is_future(day, now):
        jobs.schedule_go_live(day, now=now)
    return build


def scheduled_etas(jobs: Jobs) -> list[tuple[str, Any]]:
    """The go-live tasks waiting (name, args, ETA), for staff pages and tests."""
    return [(task.name, task.args, task.eta) for task in jobs.huey.scheduled()]
