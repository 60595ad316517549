"""Publishing from the newsroom: builds one at a time and coalesced, the atomic
switch of the live site, failed builds, and scheduled go-live with an injected clock.

Every build here reads a copy of mkdocs.yml and a content directory under tmp_path
and writes under tmp_path: nothing touches the tracked tree.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.models import Article, Member, NewsArticle, NewsRevision, NewsStep, SiteBuild
from learning_app.newsroom import builds, jobs, publish
from learning_app.newsroom.builds import (
    BuildOutcome,
    SiteLayout,
    live_target,
    request_build,
    run_pending,
    switch_live,
)
from tests.app.conftest import MakeMember
from tests.conftest import ROOT, article

BODY = "本县召开会议，部署今冬明春的帮扶工作。\n\n## 会议要求\n\n各乡镇按期落实。\n"


class Clock:
    """An injected clock (naive UTC) that moves ``tick`` on every reading."""

    def __init__(self, start: dt.datetime, tick: dt.timedelta = dt.timedelta(0)) -> None:
        self.now, self.tick = start, tick
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            moment = self.now
            self.now += self.tick
            return moment


def beijing(*args: int) -> dt.datetime:
    """A Beijing wall-clock time as the app's naive UTC."""
    return dt.datetime(*args) - dt.timedelta(hours=8)  # type: ignore[misc]


@pytest.fixture
def layout(ctx: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SiteLayout:
    """A project (mkdocs.yml, content with one news article) and an instance layout,
    all under tmp_path, wired into the app's configuration for this test."""
    project = tmp_path / "project"
    content = project / "content"
    (content / "news").mkdir(parents=True)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    (content / "news" / "old-news.md").write_text(
        article("旧的新闻标题", "2026-11-03", id="old-news"), encoding="utf-8")
    instance = tmp_path / "instance"
    monkeypatch.delenv("SITE_REGISTRY", raising=False)  # the registry stays in tmp content
    for key, value in {"SITE_DIR": instance / "site-live",
                       "SITE_BUILDS_DIR": instance / "site-builds",
                       "CONTENT_DIR": content, "MKDOCS_CONFIG": project / "mkdocs.yml",
                       "HUEY_SQLITE_PATH": instance / "jobs.db"}.items():
        monkeypatch.setitem(ctx.config, key, str(value))
    monkeypatch.setitem(ctx.config, "SITE_FALLBACK_DIR", None)
    return SiteLayout.from_config(ctx.config)


def built_ids(layout: SiteLayout) -> set[str]:
    manifest = json.loads((layout.live / "learning-manifest.json").read_text(encoding="utf-8"))
    return {entry["id"] for entry in manifest["articles"]}


def signed(author: Member, article_id: str, title: str, day: dt.date, *, today: dt.date
           ) -> tuple[NewsArticle, NewsRevision]:
    """A news article signed off at the last level (state approved or scheduled),
    as the service leaves it after 终审签发."""
    item = NewsArticle(article_id=article_id, section="news", path=f"news/{article_id}.md",
                       state="approved" if day <= today else "scheduled", level=0,
                       publish_on=day, created_by=author.id)
    db.session.add(item)
    db.session.flush()
    revision = NewsRevision(article_id=item.id, number=1, body=BODY, author_id=author.id,
                            front_matter={"title": title, "date": day.isoformat(),
                                          "id": article_id})
    db.session.add(revision)
    db.session.flush()
    item.current_revision_id = revision.id
    db.session.add(NewsStep(article_id=item.id, revision_id=revision.id, actor_id=author.id,
                            action="sign", level=3, secrecy_confirmed=True))
    db.session.commit()
    return item, revision


def fake_builder(text: str) -> builds.Builder:
    def build(layout: SiteLayout, target: Path, today: dt.date) -> BuildOutcome:
        (target / "index.html").write_text(text, encoding="utf-8")
        (target / "learning-manifest.json").write_text('{"version": 1, "articles": []}',
                                                       encoding="utf-8")
        return BuildOutcome(True)

    return build


# -- a failed build -------------------------------------------------------------------


def test_failed_build_leaves_the_old_site_served_and_says_why(
        layout: SiteLayout, client: FlaskClient) -> None:
    clock = Clock(beijing(2026, 12, 1, 9, 0), dt.timedelta(seconds=1))
    first = request_build(db.session, "首次构建", now=clock())
    assert run_pending(db.session, layout, clock=clock) == [first]
    assert db.session.get(SiteBuild, first).status == "live"
    old_target = live_target(layout.live)
    assert old_target is not None and old_target.is_relative_to(layout.builds_dir.resolve())
    assert "旧的新闻标题" in client.get("/news/old-news/").get_data(as_text=True)
    assert db.session.get(Article, "old-news").title == "旧的新闻标题"  # synced

    # The next build meets a broken file, and the old article's new title with it.
    (layout.content_dir / "news" / "old-news.md").write_text(
        article("改过的新闻标题", "2026-11-03", id="old-news"), encoding="utf-8")
    (layout.content_dir / "news" / "broken.md").write_text(
        "---\ntitle: [没有闭合\ndate: 2026-11-20\n---\n\n正文。\n", encoding="utf-8")
    second = request_build(db.session, "发布：坏稿件", now=clock())
    assert run_pending(db.session, layout, clock=clock) == [second]

    failed = db.session.get(SiteBuild, second)
    assert failed.status == "failed" and failed.finished_at is not None
    assert failed.error.startswith("网站构建失败，线上网站保持原样")
    assert "news/broken.md:3" in failed.error  # MkDocs' own report, with the line
    assert failed.site_dir is None
    assert live_target(layout.live) == old_target
    page = client.get("/news/old-news/")
    assert page.status_code == 200
    assert "旧的新闻标题" in page.get_data(as_text=True)
    assert "改过的新闻标题" not in page.get_data(as_text=True)
    assert sorted(layout.builds_dir.glob("build-*")) == [old_target]  # the failed one is gone
    assert db.session.get(Article, "old-news").title == "旧的新闻标题"


def test_a_plain_site_directory_is_never_replaced(ctx: Flask, tmp_path: Path) -> None:
    live = tmp_path / "site"
    live.mkdir()
    (live / "index.html").write_text("手工构建的网站", encoding="utf-8")
    layout = SiteLayout(config_file=tmp_path / "mkdocs.yml", content_dir=tmp_path,
                        live=live, builds_dir=tmp_path / "builds")
    build_id = request_build(db.session, "测试", now=beijing(2026, 12, 1, 9, 0))
    run_pending(db.session, layout, build=fake_builder("新网站"))
    failed = db.session.get(SiteBuild, build_id)
    assert failed.status == "failed" and "符号链接" in failed.error
    assert (live / "index.html").read_text(encoding="utf-8") == "手工构建的网站"


# -- one build at a time, coalesced ---------------------------------------------------------


def test_publishes_during_a_build_make_exactly_one_more_build_with_both_live(
        app: Flask, layout: SiteLayout, make_member: MakeMember) -> None:
    clock = Clock(beijing(2026, 12, 3, 10, 0), dt.timedelta(seconds=1))
    today = dt.date(2026, 12, 3)
    editor = make_member(role="editor")
    one = signed(editor, "news-one", "第一篇新稿", dt.date(2026, 12, 2), today=today)
    two = signed(editor, "news-two", "第二篇新稿", dt.date(2026, 12, 3), today=today)
    one_pk, two_pk = one[0].id, two[0].id
    first_id = request_build(db.session, "第一次构建", now=clock())

    # The first build reads the content, then takes long: two publishes arrive.
    built_once, release = threading.Event(), threading.Event()
    calls: list[dt.date] = []

    def slow(layout: SiteLayout, target: Path, day: dt.date) -> BuildOutcome:
        outcome = builds.mkdocs_build(layout, target, day)
        calls.append(day)
        built_once.set()
        assert release.wait(120)
        return outcome

    ran: list[int] = []

    def runner() -> None:
        with app.app_context():
            ran.extend(run_pending(db.session, layout, clock=clock, build=slow))
            db.session.remove()

    thread = threading.Thread(target=runner)
    thread.start()
    try:
        assert built_once.wait(120)
        job_runner = jobs.make_jobs(app, immediate=True, clock=clock)
        for item, revision in (one, two):
            jobs.publish_signed(db.session, item, revision, jobs=job_runner)
        # Both joined one queued build; the runner busy, nobody else built.
        statuses = {status: count for status, count in db.session.execute(
            select(SiteBuild.status, func.count()).group_by(SiteBuild.status))}
        assert statuses == {"building": 1, "queued": 1}
        assert len(calls) == 1
    finally:
        release.set()
        thread.join(300)
    assert not thread.is_alive()

    db.session.commit()  # a fresh snapshot: what the runner wrote
    assert len(ran) == 2 and ran[0] == first_id
    assert len(calls) == 2
    rows = list(db.session.scalars(select(SiteBuild).order_by(SiteBuild.id)))
    assert [row.status for row in rows] == ["live", "live"]
    first_manifest = json.loads((Path(rows[0].site_dir) / "learning-manifest.json")
                                .read_text(encoding="utf-8"))
    assert {entry["id"] for entry in first_manifest["articles"]} == {"old-news"}
    assert {"news-one", "news-two", "old-news"} <= built_ids(layout)
    second = rows[1]
    for pk in (one_pk, two_pk):
        item = db.session.get(NewsArticle, pk)
        assert item.state == "published"
        assert item.went_live_at == second.finished_at  # the moment the switch happened
    assert db.session.get(Article, "news-two").title == "第二篇新稿"


def test_a_second_runner_waits_for_the_first(ctx: Flask, tmp_path: Path) -> None:
    layout = SiteLayout(config_file=tmp_path / "mkdocs.yml", content_dir=tmp_path,
                        live=tmp_path / "live", builds_dir=tmp_path / "builds")
    build_id = request_build(db.session, "测试", now=beijing(2026, 12, 1, 9, 0))
    with builds.build_lock(layout.builds_dir) as held:
        assert held
        assert run_pending(db.session, layout, build=fake_builder("x")) == []
        assert db.session.get(SiteBuild, build_id).status == "queued"
    assert run_pending(db.session, layout, build=fake_builder("x")) == [build_id]


def test_a_build_left_building_by_a_dead_runner_fails_and_is_queued_again(
        ctx: Flask, tmp_path: Path) -> None:
    layout = SiteLayout(config_file=tmp_path / "mkdocs.yml", content_dir=tmp_path,
                        live=tmp_path / "live", builds_dir=tmp_path / "builds")
    dead = SiteBuild(status="building", reason="发布", started_at=beijing(2026, 12, 1, 9, 0))
    db.session.add(dead)
    db.session.commit()
    ran = run_pending(db.session, layout, clock=lambda: beijing(2026, 12, 1, 9, 5),
                      build=fake_builder("重建"))
    assert len(ran) == 1 and ran[0] != dead.id
    assert db.session.get(SiteBuild, dead.id).status == "failed"
    assert db.session.get(SiteBuild, ran[0]).status == "live"
    assert (layout.live / "index.html").read_text(encoding="utf-8") == "重建"


# -- the atomic switch -------------------------------------------------------------------


def test_readers_never_miss_the_site_while_it_is_switched(tmp_path: Path) -> None:
    live = tmp_path / "site-live"
    targets = []
    for name in "ABC":
        target = tmp_path / "site-builds" / f"build-{name}"
        target.mkdir(parents=True)
        (target / "index.html").write_text(name, encoding="utf-8")
        targets.append(target)
    switch_live(live, targets[0])
    stop = threading.Event()
    seen: set[str] = set()
    errors: list[BaseException] = []
    reads = 0

    def reader() -> None:
        nonlocal reads
        while not stop.is_set():
            try:
                seen.add((live / "index.html").read_text(encoding="utf-8"))
                reads += 1
            except OSError as error:
                errors.append(error)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for n in range(3000):
            switch_live(live, targets[n % 3])
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert reads > 0 and seen <= {"A", "B", "C"}
    assert live.is_symlink() and not list(tmp_path.glob(".site-live.*"))  # no temp link left


def test_old_builds_are_pruned_but_the_live_one_stays(ctx: Flask, tmp_path: Path) -> None:
    layout = SiteLayout(config_file=tmp_path / "mkdocs.yml", content_dir=tmp_path,
                        live=tmp_path / "live", builds_dir=tmp_path / "builds")
    for n in range(5):
        request_build(db.session, f"第{n}次", now=beijing(2026, 12, 1, 9, n))
        run_pending(db.session, layout, build=fake_builder(str(n)))
    left = sorted(layout.builds_dir.glob("build-*"))
    assert len(left) == builds.KEEP_BUILDS
    assert live_target(layout.live) in [d.resolve() for d in left]
    assert (layout.live / "index.html").read_text(encoding="utf-8") == "4"


def test_the_app_serves_the_fallback_site_until_the_first_build(
        ctx: Flask, client: FlaskClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fallback = tmp_path / "site"
    fallback.mkdir()
    (fallback / "index.html").write_text("make site 的网站", encoding="utf-8")
    live = tmp_path / "instance" / "site-live"
    monkeypatch.setitem(ctx.config, "SITE_DIR", str(live))
    monkeypatch.setitem(ctx.config, "SITE_FALLBACK_DIR", str(fallback))
    assert "make site 的网站" in client.get("/").get_data(as_text=True)
    target = tmp_path / "instance" / "site-builds" / "build-1"
    target.mkdir(parents=True)
    (target / "index.html").write_text("在线发布的网站", encoding="utf-8")
    switch_live(live, target)
    assert "在线发布的网站" in client.get("/").get_data(as_text=True)


# -- scheduled publishing -------------------------------------------------------------------


def test_a_scheduled_article_goes_live_at_its_time(
        ctx: Flask, client: FlaskClient, layout: SiteLayout, make_member: MakeMember) -> None:
    signed_at = beijing(2026, 12, 10, 15, 30)
    clock = Clock(signed_at, dt.timedelta(seconds=1))
    editor = make_member(role="editor")
    item, revision = signed(editor, "winter-plan", "定时发布的冬训安排", dt.date(2026, 12, 20),
                            today=dt.date(2026, 12, 10))
    pk = item.id
    runner = jobs.make_jobs(ctx, immediate=True, clock=clock)

    jobs.publish_signed(db.session, item, revision, jobs=runner)
    # Written at once and checked by a build now, but not on the site before its day.
    assert (layout.content_dir / "news" / "winter-plan.md").is_file()
    assert db.session.scalar(select(SiteBuild.status)) == "live"
    assert "winter-plan" not in built_ids(layout)
    assert client.get("/news/winter-plan/").status_code == 404
    eta = dt.datetime(2026, 12, 19, 16, 0)  # 2026-12-20 00:00 in Beijing, as UTC
    scheduled = runner.huey.scheduled()
    assert [(task.name, task.args, task.eta) for task in scheduled] == [
        ("newsroom.go_live", ("2026-12-20",), eta)]

    # A build a moment before midnight in Beijing still leaves it out.
    clock.now = eta - dt.timedelta(minutes=5)  # the clock ticks a second per reading
    runner.request_build(db.session, "别的稿件")
    db.session.commit()  # a fresh snapshot: what the job wrote
    assert db.session.get(NewsArticle, pk).state == "scheduled"
    assert "winter-plan" not in built_ids(layout)
    assert runner.huey.read_schedule(eta - dt.timedelta(seconds=1)) == []

    # Midnight: the scheduled task is due and builds it.
    clock.now = eta
    due = runner.huey.read_schedule(eta)
    assert [task.name for task in due] == ["newsroom.go_live"]
    for task in due:
        runner.huey.execute(task, timestamp=eta)
    db.session.commit()  # a fresh snapshot: what the job wrote
    went_live = db.session.scalars(select(SiteBuild).order_by(SiteBuild.id.desc())).first()
    assert went_live.status == "live" and went_live.started_at >= eta
    assert "winter-plan" in built_ids(layout)
    assert "定时发布的冬训安排" in client.get("/news/winter-plan/").get_data(as_text=True)
    published = db.session.get(NewsArticle, pk)
    assert published.state == "published"
    assert published.went_live_at == went_live.finished_at  # the real moment, not the date
    assert published.went_live_at > eta

    # Later builds keep the first moment.
    first_moment = published.went_live_at
    clock.now = eta + dt.timedelta(days=1)
    runner.request_build(db.session, "又一次构建")
    db.session.commit()  # a fresh snapshot: what the job wrote
    assert db.session.get(NewsArticle, pk).went_live_at == first_moment


def test_the_hourly_safety_net_builds_a_due_article_whose_task_was_lost(
        ctx: Flask, layout: SiteLayout, make_member: MakeMember) -> None:
    editor = make_member(role="editor")
    item, revision = signed(editor, "lost-task", "任务丢失的稿件", dt.date(2026, 12, 20),
                            today=dt.date(2026, 12, 10))
    pk = item.id
    publish.write_revision(layout.content_dir, item.path, revision.front_matter, revision.body,
                           today=dt.date(2026, 12, 10))
    clock = Clock(beijing(2026, 12, 19, 23, 0), dt.timedelta(seconds=1))
    runner = jobs.make_jobs(ctx, immediate=True, clock=clock)
    assert jobs.due_unserved(db.session, now=clock.now) == []  # not due yet
    clock.now = beijing(2026, 12, 20, 1, 7)
    assert jobs.due_unserved(db.session, now=clock.now) == [pk]
    runner.safety_net.call_local()
    db.session.commit()  # a fresh snapshot: what the job wrote
    assert db.session.get(NewsArticle, pk).state == "published"
    assert jobs.due_unserved(db.session, now=clock.now) == []


def test_go_live_moment_is_midnight_in_beijing() -> None:
    assert publish.go_live_utc(dt.date(2026, 12, 20)) == dt.datetime(2026, 12, 19, 16, 0)
    assert publish.site_today(dt.datetime(2026, 12, 19, 15, 59, 59)) == dt.date(2026, 12, 19)
    assert publish.site_today(dt.datetime(2026, 12, 19, 16, 0)) == dt.date(2026, 12, 20)


# -- the content file -------------------------------------------------------------------------


def test_a_revision_becomes_a_contract_one_file(tmp_path: Path) -> None:
    path = publish.write_revision(
        tmp_path, "column/2026-12/hezuoshe.md",
        {"title": "合作社分红：怎么定、怎么分", "date": "2026-12-08", "category": "cases",
         "tags": ["村集体经济", "产业扶贫"], "summary": "a: b # c", "id": "hezuoshe",
         "department": None},
        "第一段。\r\n\r\n## 小标题\r\n", today=dt.date(2026, 12, 1))
    assert path.read_text(encoding="utf-8") == (
        "---\ntitle: 合作社分红：怎么定、怎么分\ndate: 2026-12-08\ncategory: cases\n"
        "tags: [村集体经济, 产业扶贫]\nsummary: 'a: b # c'\nid: hezuoshe\n---\n\n"
        "第一段。\n\n## 小标题\n")


@pytest.mark.parametrize("bad_path", ["../escape.md", "/etc/x.md", "news/x.txt",
                                      "news/.hidden.md", "news//x.md"])
def test_a_revision_is_never_written_outside_content(tmp_path: Path, bad_path: str) -> None:
    content = tmp_path / "content"
    content.mkdir()
    with pytest.raises(publish.PublishError):
        publish.write_revision(content, bad_path, {"title": "t", "date": "2026-12-01"}, "x",
                               today=dt.date(2026, 12, 1))
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_file_the_build_would_refuse_is_not_written(tmp_path: Path) -> None:
    with pytest.raises(publish.PublishError, match="credit"):
        publish.write_revision(tmp_path, "news/x.md",
                               {"title": "t", "date": "2026-12-01", "credit": 99}, "x",
                               today=dt.date(2026, 12, 1))
    assert not (tmp_path / "news" / "x.md").exists()


def test_a_failed_build_request_puts_the_file_back(
        ctx: Flask, layout: SiteLayout, make_member: MakeMember) -> None:
    editor = make_member(role="editor")
    item, revision = signed(editor, "old-news", "改写旧新闻", dt.date(2026, 11, 3),
                            today=dt.date(2026, 12, 1))
    before = (layout.content_dir / "news" / "old-news.md").read_text(encoding="utf-8")

    class Broken(jobs.Jobs):
        def request_build(self, *args: object, **kwargs: object) -> SiteBuild:
            raise RuntimeError("数据库断开")

    base = jobs.make_jobs(ctx, immediate=True)
    broken = Broken(base.huey, base.build, base.go_live, base.safety_net, base.clock)
    with pytest.raises(RuntimeError):
        jobs.publish_signed(db.session, item, revision, jobs=broken,
                            now=beijing(2026, 12, 1, 9, 0))
    assert (layout.content_dir / "news" / "old-news.md").read_text(encoding="utf-8") == before

