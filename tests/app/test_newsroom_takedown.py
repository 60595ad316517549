"""Withdrawal (撤稿) on the site, and publishing as git commits.

Signed through the service with its publishing hooks (``jobs.publish_signed``,
``jobs.take_down``) and built by real MkDocs runs into tmp_path.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.models import Article, NewsArticle, SiteBuild
from learning_app.newsroom import jobs, service
from learning_app.newsroom.builds import SiteLayout
from site_builder import registry
from tests.app.test_newsroom_publish import Clock, beijing, layout  # noqa: F401  (fixture)
from tests.app.test_newsroom_service import Desk, desk, fm  # noqa: F401  (fixture)

BODY = "县里召开动员会。\n\n![会场照片](cun-huiyi-files/0123456789abcdef.png)\n"
NOW = beijing(2027, 3, 10, 10, 0)


def publish(ctx: Flask, people: Desk, clock: Clock, runner: jobs.Jobs) -> NewsArticle:
    """An article with a photo, through three levels, signed and built."""
    item = service.create_article(db.session, people.editor, section="news",
                                  article_id="cun-huiyi", front_matter=fm("村里开会", "2027-03-10"),
                                  body=BODY, now=clock())
    photos = Path(ctx.config["CONTENT_DIR"]) / "news" / "cun-huiyi-files"
    photos.mkdir(parents=True)
    (photos / "0123456789abcdef.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    pk = item.id

    def revision() -> int:
        found = db.session.get(NewsArticle, pk)
        assert found is not None and found.current_revision_id is not None
        return found.current_revision_id

    service.submit(db.session, pk, people.editor, revision_id=revision(), now=clock())
    service.approve(db.session, pk, people.r1, level=1, revision_id=revision(), now=clock())
    service.approve(db.session, pk, people.r2, level=2, revision_id=revision(), now=clock())
    service.final_approve(
        db.session, pk, people.r3, level=3, revision_id=revision(), now=clock(),
        secrecy_confirmed=True,
        publish=lambda s, a, r: jobs.publish_signed(s, a, r, jobs=runner))
    found = db.session.get(NewsArticle, pk)
    assert found is not None
    return found


def registered(layout: SiteLayout) -> dict[str, registry.Entry]:  # noqa: F811
    entries, errors = registry.load(registry.locate(layout.content_dir))
    assert not errors
    return entries


def test_withdrawal_takes_the_page_and_its_photos_off_and_retires_the_id(
        ctx: Flask, client: FlaskClient, layout: SiteLayout, desk: Desk) -> None:  # noqa: F811
    clock = Clock(NOW, dt.timedelta(seconds=1))
    runner = jobs.make_jobs(ctx, immediate=True, clock=clock)
    item = publish(ctx, desk, clock, runner)
    assert item.state == "published"
    page = client.get("/news/cun-huiyi/")
    assert page.status_code == 200 and "村里开会" in page.get_data(as_text=True)
    assert client.get("/news/cun-huiyi-files/0123456789abcdef.png").status_code == 200

    service.withdraw(db.session, item.id, desk.r3, reason="照片未经本人同意", now=clock(),
                     take_down=lambda s, a, r: jobs.take_down(s, a, r, jobs=runner))

    article_file = layout.content_dir / "news" / "cun-huiyi.md"
    assert not article_file.exists()
    assert not (layout.content_dir / "news" / "cun-huiyi-files").exists()
    assert not [p for p in (layout.content_dir / "news").iterdir() if p.name.startswith(".")]
    assert registered(layout)["cun-huiyi"].retired
    assert client.get("/news/cun-huiyi/").status_code == 404
    assert client.get("/news/cun-huiyi-files/0123456789abcdef.png").status_code == 404
    db.session.expire_all()
    assert db.session.get(NewsArticle, item.id).state == "withdrawn"  # type: ignore[union-attr]
    # The app keeps the article (members' credit points at it), off the site.
    kept = db.session.get(Article, "cun-huiyi")
    assert kept is not None and not kept.in_manifest
    assert [b.status for b in db.session.scalars(select(SiteBuild).order_by(SiteBuild.id))
            ][-1] == "live"


def test_a_take_down_that_fails_changes_nothing(
        ctx: Flask, client: FlaskClient, layout: SiteLayout, desk: Desk,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(NOW, dt.timedelta(seconds=1))
    runner = jobs.make_jobs(ctx, immediate=True, clock=clock)
    item = publish(ctx, desk, clock, runner)
    ids_before = registry.locate(layout.content_dir).target.read_text(encoding="utf-8")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise Refused(503, "构建队列不可用")

    monkeypatch.setattr(runner, "request_build", broken)
    with pytest.raises(Refused):
        service.withdraw(db.session, item.id, desk.r3, reason="重复发布", now=clock(),
                         take_down=lambda s, a, r: jobs.take_down(s, a, r, jobs=runner))
    assert (layout.content_dir / "news" / "cun-huiyi.md").is_file()
    assert (layout.content_dir / "news" / "cun-huiyi-files" / "0123456789abcdef.png").is_file()
    assert registry.locate(layout.content_dir).target.read_text(encoding="utf-8") == ids_before
    db.session.expire_all()
    assert db.session.get(NewsArticle, item.id).state == "published"  # type: ignore[union-attr]
    assert client.get("/news/cun-huiyi/").status_code == 200


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                          text=True).stdout


def test_with_git_on_each_publish_is_a_commit_by_the_editor_naming_the_approvers(
        ctx: Flask, layout: SiteLayout, desk: Desk,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    project = layout.content_dir.parent
    git(project, "init", "-q", "-b", "main")
    git(project, "-c", "user.name=运维", "-c", "user.email=ops@example.invalid",
        "add", "--all")
    git(project, "-c", "user.name=运维", "-c", "user.email=ops@example.invalid",
        "commit", "-q", "-m", "start")
    # Someone's unrelated, uncommitted work in the tree is not swept into the commit.
    (layout.content_dir / "news" / "old-news.md").write_text("改了一半", encoding="utf-8")
    monkeypatch.setitem(ctx.config, "NEWSROOM_GIT_COMMIT", True)
    clock = Clock(NOW, dt.timedelta(seconds=1))
    runner = jobs.make_jobs(ctx, immediate=True, clock=clock)
    monkeypatch.setattr(runner, "build", lambda: None)  # the commit is what is under test
    publish(ctx, desk, clock, runner)

    log = git(project, "log", "-1", "--format=%an|%ae|%cn%n%B")
    author, _, rest = log.partition("\n")
    assert author.split("|")[0] == desk.editor.name
    assert author.split("|")[1] == f"{desk.editor.code}@members.dangjian-portal.invalid"
    assert author.split("|")[2] == "在线采编"
    assert rest.startswith("发布《村里开会》第1版")
    assert f"初审：{desk.r1.name}" in rest and f"复审：{desk.r2.name}" in rest
    assert f"终审签发：{desk.r3.name}" in rest
    changed = set(git(project, "show", "--name-only", "--format=", "HEAD").split())
    assert changed == {"content/news/cun-huiyi.md",
                       "content/news/cun-huiyi-files/0123456789abcdef.png"}
    assert "old-news.md" in git(project, "status", "--porcelain")


def test_with_git_a_publish_outside_a_work_tree_is_refused_and_not_signed(
        ctx: Flask, layout: SiteLayout, desk: Desk,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ctx.config, "NEWSROOM_GIT_COMMIT", True)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(layout.content_dir.parent.parent))
    clock = Clock(NOW, dt.timedelta(seconds=1))
    runner = jobs.make_jobs(ctx, immediate=True, clock=clock)
    with pytest.raises(Refused, match="git"):
        publish(ctx, desk, clock, runner)
    item = db.session.scalar(select(NewsArticle).where(NewsArticle.article_id == "cun-huiyi"))
    assert item is not None and item.state == "in_review"
    assert not (layout.content_dir / "news" / "cun-huiyi.md").exists()


def test_a_column_draft_moved_to_another_month_publishes_with_its_photo(
        ctx: Flask, client: FlaskClient, layout: SiteLayout, desk: Desk) -> None:  # noqa: F811
    from learning_app.models import NewsMedia, NewsRevision
    from learning_app.newsroom import media

    clock = Clock(NOW, dt.timedelta(seconds=1))
    body = "本月学习要点。\n\n![学习现场](zhuanlan-dongxun-files/{name})\n"
    front = {**fm("冬训学习要点", "2027-02-26"), "category": "knowledge"}
    item = service.create_article(db.session, desk.editor, section="column",
                                  article_id="zhuanlan-dongxun", front_matter=front,
                                  body="草稿", now=clock())
    png = media.sanitize_image(_png(), "现场.png")
    stored = media.store_beside(layout.content_dir, item.path, png)
    assert item.path.startswith("column/2027-02/")
    db.session.add(NewsMedia(article_id=item.id, kind="image", alt="学习现场",
                             path=f"column/2027-02/{stored}", size=png.size,
                             uploaded_by=desk.editor.id))
    db.session.commit()
    # The date moves to March: the article follows it, the photo was stored in February.
    revision = service.save_draft(
        db.session, item.id, desk.editor, base_revision_id=item.current_revision_id or 0,
        front_matter={**front, "date": "2027-03-08"},
        body=body.format(name=stored.rpartition("/")[2]), now=clock())
    pk, name = item.id, stored.rpartition("/")[2]

    def current() -> int:
        found = db.session.get(NewsRevision, revision.id)
        assert found is not None
        return found.id

    service.submit(db.session, pk, desk.editor, revision_id=current(), now=clock())
    service.approve(db.session, pk, desk.r1, level=1, revision_id=current(), now=clock())
    service.approve(db.session, pk, desk.r2, level=2, revision_id=current(), now=clock())
    runner_clock = Clock(beijing(2027, 3, 8, 10, 0), dt.timedelta(seconds=1))
    runner = jobs.make_jobs(ctx, immediate=True, clock=runner_clock)
    service.final_approve(
        db.session, pk, desk.r3, level=3, revision_id=current(), now=runner_clock(),
        secrecy_confirmed=True,
        publish=lambda s, a, r: jobs.publish_signed(s, a, r, jobs=runner))
    assert client.get("/column/2027-03/zhuanlan-dongxun/").status_code == 200
    assert client.get(f"/column/2027-03/zhuanlan-dongxun-files/{name}").status_code == 200
    # The February folder the draft left behind is not on the site.
    assert client.get(f"/column/2027-02/zhuanlan-dongxun-files/{name}").status_code == 404


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()
