"""Site builds of the newsroom: one at a time, coalesced, switched in atomically.

The queue is the ``newsroom_builds`` table. A publish asks for a build
(``request_build``): it joins the build already queued, or queues one; there is
never more than one queued row. The runner (``run_pending``, called by the job
runner, jobs.py) takes the queued row, builds the content as it is when the build
starts, and loops while a new row was queued meanwhile. So publishes that arrive
during a build all wait for exactly one more build, which includes every one of them.

Layout (``SiteLayout``)::

    instance/site-live  ->  site-builds/build-12-3f9a…   (SITE_DIR, a symlink)
    instance/site-builds/build-11-…, build-12-…          (the last KEEP_BUILDS)

A build writes a fresh directory, never the one being served. When it succeeded,
a new symlink is made beside the live one and renamed over it: ``rename(2)`` is
atomic on POSIX, so a reader finds the old site or the new one, never a missing or
half-written one. A failed build leaves the link alone and keeps the build's report
in ``SiteBuild.error``.

Two runners never build at once: the build holds an exclusive ``flock`` on
``site-builds/.build.lock``, which the kernel releases if the runner dies. A row
left "building" by a runner that died is therefore failed by the next one, and a
new build is queued in its place.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session, scoped_session

from learning_app.content.sync import ManifestError, read_manifest, sync
from learning_app.db import begin_write, exclusive, rollback_on_error
from learning_app.errors import Refused
from learning_app.models.newsroom import NewsArticle, NewsRevision, NewsStep, SiteBuild
from learning_app.models.types import utcnow
from learning_app.newsroom import rules
from learning_app.newsroom.publish import (
    content_file,
    file_holds,
    render_markdown,
    site_today,
    write_atomically,
)
from site_builder import registry as site_registry
from site_builder.registry import ENV as REGISTRY_ENV  # where a build writes new ids

LOCK_KEY = 0x4E5742  # exclusive(): the queue's rows ("NWB")
LOCK_FILE = ".build.lock"
KEEP_BUILDS = 3  # the live build and the two before it (readers still on them)
BUILD_PREFIX = "build-"
MANIFEST = "learning-manifest.json"
SIGN_STEP = "sign"  # rules.STEPS: 终审签发, the step after which a revision may go live
MAX_ERROR_CHARS = 20_000

Clock = Callable[[], dt.datetime]
AnySession = Session | scoped_session[Session]


@dataclass(frozen=True)
class SiteLayout:
    """Where a build reads and writes: the MkDocs project, the content it builds,
    the live symlink the app serves, and the directory of builds."""

    config_file: Path  # mkdocs.yml
    content_dir: Path
    live: Path  # SITE_DIR: a symlink to the live build (absent before the first one)
    builds_dir: Path
    timeout_s: float = 3600.0
    env: Mapping[str, str] = field(default_factory=dict)  # extra environment for mkdocs

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SiteLayout:
        live = Path(config["SITE_DIR"])
        builds = config.get("SITE_BUILDS_DIR") or live.parent / "site-builds"
        return cls(config_file=Path(config["MKDOCS_CONFIG"]),
                   content_dir=Path(config["CONTENT_DIR"]), live=live,
                   builds_dir=Path(builds),
                   timeout_s=float(config.get("SITE_BUILD_TIMEOUT", 3600)))


@dataclass(frozen=True)
class BuildOutcome:
    ok: bool
    report: str = ""  # what the builder printed (MkDocs' errors on failure)


class Builder(Protocol):
    def __call__(self, layout: SiteLayout, target: Path, today: dt.date) -> BuildOutcome: ...


class Publisher(Protocol):
    """The newsroom service's step for an article once its text is served
    (``service.mark_published``)."""

    def __call__(self, session: AnySession, article: NewsArticle, revision: NewsRevision,
                 now: dt.datetime) -> Any: ...


class LayoutError(RuntimeError):
    """The live path can't be switched (a plain directory where the link goes)."""


# -- the queue -----------------------------------------------------------------------

def request_build(session: AnySession, reason: str, *, now: dt.datetime) -> int:
    """The build that will include the content as it is now: the one already queued
    (joined), or a new one; its id. Commits. Write the content before calling this:
    a build that starts after the call reads it."""
    with rollback_on_error(session):
        exclusive(session, LOCK_KEY)  # two requests at once: one inserts, one joins
        queued = session.scalars(select(SiteBuild).where(SiteBuild.status == "queued")
                                 .order_by(SiteBuild.id).limit(1)).first()
        if queued is None:
            queued = SiteBuild(status="queued", reason=reason[:200], requested_at=now)
            session.add(queued)
        elif reason and reason not in (queued.reason or ""):
            joined = f"{queued.reason}；{reason}" if queued.reason else reason
            queued.reason = joined if len(joined) <= 200 else joined[:199] + "…"
        session.flush()
        build_id = queued.id
        session.commit()
    return build_id


def has_queued(session: AnySession) -> bool:
    found = session.scalar(select(func.count()).select_from(SiteBuild)
                           .where(SiteBuild.status == "queued"))
    session.commit()  # end the read: don't hold a snapshot while building
    return bool(found)


def _claim(session: AnySession, now: dt.datetime) -> SiteBuild | None:
    """Take the queued build (→ building). Called with the build lock held, so any
    row still "building" belongs to a runner that died: it failed, and its
    publishes get a new build."""
    with rollback_on_error(session):
        exclusive(session, LOCK_KEY)
        stale = list(session.scalars(select(SiteBuild).where(SiteBuild.status == "building")))
        for build in stale:
            build.status, build.finished_at = "failed", now
            build.error = ("构建中途停止（构建程序退出或服务器重启），线上网站保持原样；"
                           "已重新排队构建。")
        queued = session.scalars(select(SiteBuild).where(SiteBuild.status == "queued")
                                 .order_by(SiteBuild.id).limit(1)).first()
        if queued is None and stale:
            queued = SiteBuild(status="queued", reason="重新构建（上次构建中途停止）",
                               requested_at=now)
            session.add(queued)
        if queued is not None:
            queued.status, queued.started_at = "building", now
        session.commit()
    return queued


@contextlib.contextmanager
def build_lock(builds_dir: Path) -> Iterator[bool]:
    """Hold the exclusive build lock if it is free (yields True), else yield False
    at once: the holder builds whatever is queued before it lets go."""
    builds_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(builds_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def run_pending(session: AnySession, layout: SiteLayout, *, clock: Clock = utcnow,
                build: Builder | None = None, publisher: Publisher | None = None,
                ) -> list[int]:
    """Build until nothing is queued; the ids of the builds run here.

    Returns at once when another runner holds the lock: it builds what is queued
    before it lets go, and looks once more after letting go (so a request that
    found the lock taken is never left waiting)."""
    builder = build or mkdocs_build
    done: list[int] = []
    while True:
        with build_lock(layout.builds_dir) as held:
            if not held:
                return done
            while (claimed := _claim(session, clock())) is not None:
                run_one(session, layout, claimed, clock=clock, builder=builder,
                        publisher=publisher)
                done.append(claimed.id)
        if not has_queued(session):
            return done


def run_one(session: AnySession, layout: SiteLayout, build: SiteBuild, *, clock: Clock,
            builder: Builder, publisher: Publisher | None = None) -> None:
    """Build one claimed row into a new directory; switch to it, or record why not."""
    started = build.started_at or clock()
    try:
        retract_lapsed(session, layout.content_dir, layout.config_file)
    except (OSError, Refused) as exc:  # building now would publish a voided text
        _finish(session, build, "failed", clock(),
                error=failure_text(f"撤下签发已作废的稿件时出错：{exc}"))
        return
    pending = signed_in_content(session, layout.content_dir)
    target: Path | None = None
    try:
        if os.path.lexists(layout.live) and not layout.live.is_symlink():
            raise LayoutError(
                f"SITE_DIR（{layout.live}）是一个普通目录，无法原子切换。在线发布需要它是"
                "符号链接：请把 SITE_DIR 设为一个新路径（默认 instance/site-live）。")
        layout.builds_dir.mkdir(parents=True, exist_ok=True)
        target = Path(tempfile.mkdtemp(prefix=f"{BUILD_PREFIX}{build.id}-",
                                       dir=layout.builds_dir))
        target.chmod(0o755)  # served: a web server in front (nginx) reads it
        outcome = builder(layout, target, site_today(started))
        if outcome.ok and not (target / MANIFEST).is_file():
            outcome = BuildOutcome(False, f"构建没有生成 {MANIFEST}。\n{outcome.report}")
        if outcome.ok:
            switch_live(layout.live, target)
    except Exception as exc:  # whatever went wrong, the row must not stay "building"
        outcome = BuildOutcome(False, f"{type(exc).__name__}: {exc}")
    if not outcome.ok or target is None:
        if target is not None:
            shutil.rmtree(target, ignore_errors=True)
        _finish(session, build, "failed", clock(), error=failure_text(outcome.report))
        return
    live_at = clock()  # the moment readers get the new site
    _finish(session, build, "live", live_at, site_dir=str(target))
    try:
        _marked, problems = went_live(session, target, pending, live_at, publisher=publisher)
    except (ManifestError, OSError, ValueError, LookupError) as exc:
        session.rollback()
        problems = [f"学习平台同步文章时出错：{exc}"]
    if problems:
        _finish(session, build, "live", live_at, site_dir=str(target),
                error="网站已上线，但：" + "；".join(problems))
    prune(layout)


def _finish(session: AnySession, build: SiteBuild, status: str, at: dt.datetime, *,
            site_dir: str | None = None, error: str | None = None) -> None:
    with rollback_on_error(session):
        build_id = build.id
        begin_write(session)  # a snapshot read earlier can't be upgraded to a write
        build = session.get(SiteBuild, build_id) or build
        build.status, build.finished_at = status, at
        build.site_dir, build.error = site_dir, error
        session.commit()


_NOISE = re.compile(r"^(Building prefix dict|Loading model|Dumping model|Prefix dict has been)")


def failure_text(report: str) -> str:
    """What the editor reads: a summary in Chinese, then the build's own report."""
    lines = [line for line in report.splitlines() if not _NOISE.match(line)]
    detail = "\n".join(lines).strip()
    if len(detail) > MAX_ERROR_CHARS:
        detail = "…\n" + detail[-MAX_ERROR_CHARS:]
    summary = ("网站构建失败，线上网站保持原样（仍是上一次成功构建的版本）。"
               "请按下面的报告修改后重新发布。")
    return f"{summary}\n\n{detail}" if detail else summary


# -- the build ---------------------------------------------------------------------

def mkdocs_build(layout: SiteLayout, target: Path, today: dt.date) -> BuildOutcome:
    """``mkdocs build --strict`` of the content into ``target``, in its own process
    (a crash or a leak stays there), with the publishing day given explicitly."""
    # A config that inherits the project's and reads the layout's content.
    config = target.with_name(target.name + ".mkdocs.yml")
    config.write_text(f"INHERIT: {json.dumps(str(layout.config_file.resolve()))}\n"
                      f"docs_dir: {json.dumps(str(layout.content_dir.resolve()))}\n",
                      encoding="utf-8")
    env = {**os.environ, **layout.env, "SITE_TODAY": today.isoformat(),
           "SITE_PREVIEW": "false", "NO_MKDOCS_2_WARNING": "1"}
    registry = env.get(REGISTRY_ENV, "").strip()
    if registry and not Path(registry).is_absolute():
        # Relative to the project (site_builder.registry.locate), not to the
        # generated config in the builds directory.
        env[REGISTRY_ENV] = str(layout.config_file.resolve().parent / registry)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(config),
             "-d", str(target)],
            cwd=layout.config_file.parent, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, timeout=layout.timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return BuildOutcome(False, f"构建超过{layout.timeout_s:.0f}秒仍未完成，已停止。")
    finally:
        config.unlink(missing_ok=True)
    return BuildOutcome(proc.returncode == 0, proc.stdout or "")


# -- the switch --------------------------------------------------------------------

def live_target(live: Path) -> Path | None:
    """The build directory the live link points at (None before the first build)."""
    if not live.is_symlink():
        return None
    return live.resolve()


def switch_live(live: Path, target: Path) -> None:
    """Point ``live`` at ``target`` in one rename: readers see the old or the new."""
    if os.path.lexists(live) and not live.is_symlink():
        raise LayoutError(f"{live} 是普通目录，不能原子切换")
    parent = live.parent
    parent.mkdir(parents=True, exist_ok=True)
    # Relative, so the layout may move as a whole (a restored instance/).
    link = os.path.relpath(target.resolve(), parent.resolve())
    tmp = parent / f".{live.name}.{secrets.token_hex(6)}"
    os.symlink(link, tmp)
    try:
        os.replace(tmp, live)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # the rename survives a power cut
        fd = os.open(parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def prune(layout: SiteLayout, keep: int = KEEP_BUILDS) -> list[Path]:
    """Remove old build directories: the live one and the newest others, up to
    ``keep`` in all, stay (a reader may still be on the one before)."""
    if not layout.builds_dir.is_dir():
        return []
    current = live_target(layout.live)
    builds = [d for d in layout.builds_dir.iterdir()
              if d.name.startswith(BUILD_PREFIX) and d.is_dir() and not d.is_symlink()]
    builds.sort(key=lambda d: d.stat().st_mtime_ns, reverse=True)
    kept = {current} if current is not None else set()
    removed = []
    for directory in builds:
        if directory.resolve() in kept:
            continue
        if len(kept) < keep:
            kept.add(directory.resolve())
            continue
        shutil.rmtree(directory, ignore_errors=True)
        removed.append(directory)
    return removed


# -- after going live ------------------------------------------------------------------

def signed_in_content(session: AnySession, content_dir: Path) -> dict[int, int]:
    """The newsroom articles whose signed-off revision, not yet published, is what
    their content file holds now: {article pk: revision id}. Read as the build starts,
    so a text written after that is published by the next build, not this one."""
    latest_signed = (select(NewsStep.article_id, func.max(NewsStep.revision_id).label("rev"))
                     .where(NewsStep.action == SIGN_STEP).group_by(NewsStep.article_id)
                     .subquery())
    rows = session.execute(
        select(NewsArticle.id, NewsArticle.path, NewsArticle.published_revision_id,
               NewsRevision.id, NewsRevision.front_matter, NewsRevision.body)
        .join(latest_signed, latest_signed.c.article_id == NewsArticle.id)
        .join(NewsRevision, NewsRevision.id == latest_signed.c.rev)
        .where(NewsArticle.state != "withdrawn")).all()
    session.commit()
    return {pk: rev for pk, path, published, rev, front_matter, body in rows
            if rev != published and file_holds(content_dir, path, front_matter, body)}


LAPSED = ("draft", "returned", "in_review")  # states of an article whose signature lapsed


def signed_path(article: NewsArticle, signed: NewsRevision) -> str:
    """Where ``signed`` was written when it was signed off: a column article not yet
    on the site follows its date to the month's folder (service._new_revision)."""
    if article.published_revision_id is None and article.section == "column":
        return rules.article_path("column", article.article_id,
                                  rules.article_date(signed.front_matter))
    return article.path


def registered_ids(content_dir: Path, config_file: Path) -> set[str]:
    """The ids the registry the build reads holds (``SITE_REGISTRY``'s included)."""
    entries, _errors = site_registry.load(
        site_registry.locate(content_dir, project_dir=config_file.resolve().parent))
    return set(entries)


def retract(session: AnySession, content_dir: Path, article: NewsArticle,
            signed: NewsRevision, registered: set[str]) -> str | None:
    """Take a signed text whose signature lapsed out of content/: the file goes (an
    article never published) or gets the published text back (a live one). Only a
    file that holds exactly that text is touched. The path put right, or None.

    A text never served whose id is registered all the same (a build that failed
    after registering it) stays: without its file every build would fail on
    the registered id ("应保留")."""
    path = signed_path(article, signed)
    if not file_holds(content_dir, path, signed.front_matter, signed.body):
        return None
    target = content_file(content_dir, path)
    live = (session.get(NewsRevision, article.published_revision_id)
            if article.published_revision_id is not None else None)
    if live is None:
        if article.article_id in registered:
            return None
        target.unlink()
    else:
        write_atomically(target, render_markdown(live.front_matter, live.body))
    return path


def retract_lapsed(session: AnySession, content_dir: Path, config_file: Path) -> list[str]:
    """Before a build: the signed texts whose signature lapsed out of content/.

    终审签发 writes the file at once (a scheduled one too); an editor's later save
    voids the signature (``service.save_draft``: back to draft) but left the file,
    so the build of its date published the voided text, and a column article moved
    to another month left its old file (one id, two files: the next signing was
    refused). Held under the write lock, so a signing of the same article waits."""
    latest_signed = (select(NewsStep.article_id, func.max(NewsStep.revision_id).label("rev"))
                     .where(NewsStep.action == SIGN_STEP).group_by(NewsStep.article_id)
                     .subquery())
    done: list[str] = []
    registered = registered_ids(content_dir, config_file)
    with rollback_on_error(session):
        begin_write(session)
        rows = session.execute(
            select(NewsArticle, NewsRevision)
            .join(latest_signed, latest_signed.c.article_id == NewsArticle.id)
            .join(NewsRevision, NewsRevision.id == latest_signed.c.rev)
            .where(NewsArticle.state.in_(LAPSED))).all()
        for article, signed in rows:
            if signed.id != article.published_revision_id:
                path = retract(session, content_dir, article, signed, registered)
                if path is not None:
                    done.append(path)
        session.commit()
    return done


def went_live(session: AnySession, site_dir: Path, pending: Mapping[int, int],
              live_at: dt.datetime, *, publisher: Publisher | None = None
              ) -> tuple[list[int], list[str]]:
    """The new site is served: sync the app's articles from its manifest, and mark
    each newsroom article whose signed text it serves as published at ``live_at``
    (the service records ``went_live_at`` the first time). The articles marked,
    and the refusals of those that could not be."""
    entries = read_manifest(site_dir / MANIFEST)
    with rollback_on_error(session):
        begin_write(session)  # sync reads, then writes: hold the write lock from the start
        sync(session, entries)
    served = {entry["id"] for entry in entries}
    mark = publisher or _service_publisher()
    marked: list[int] = []
    problems: list[str] = []
    for pk, revision_id in sorted(pending.items()):
        article = session.get(NewsArticle, pk)
        revision = session.get(NewsRevision, revision_id)
        if (article is None or revision is None or article.state == "withdrawn"
                or article.article_id not in served):
            continue  # not served yet (its date hasn't come) or taken down meanwhile
        name = article.article_id
        try:
            mark(session, article, revision, live_at)
            session.commit()
        except Refused as refusal:  # one article's problem doesn't stop the others
            session.rollback()
            problems.append(f"{name}：{refusal.message}")
            continue
        marked.append(pk)
    return marked, problems


def _service_publisher() -> Publisher:
    from learning_app.newsroom import service

    return service.mark_published  # type: ignore[no-any-return]
