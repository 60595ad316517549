"""The newsroom's county pages through the app: 采编设置 (review levels and their
people, 错敏词, update thresholds), 栏目更新情况 with an injected clock, and
网站更新记录 with builds run by a fake builder under tmp_path (nothing touches the
tracked tree, nothing depends on today's date)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.models import (
    Article,
    AuditEvent,
    Member,
    NewsArticle,
    NewsRevision,
    SensitiveWord,
    SiteBuild,
)
from learning_app.newsroom import admin_pages, service
from learning_app.newsroom.builds import BuildOutcome, SiteLayout, request_build, run_pending
from tests.app.conftest import MakeMember, login

SETTINGS = "/app/newsroom/settings"


def beijing(*args: int) -> dt.datetime:
    """A Beijing wall-clock time as the app's naive UTC."""
    return dt.datetime(*args) - dt.timedelta(hours=8)  # type: ignore[misc]


@dataclass
class People:
    admin: Member  # county admin: the setup
    editor: Member
    r1: Member  # a township org admin who also reviews
    r2: Member
    r3: Member
    gone: Member  # transferred out: can't review


@pytest.fixture
def people(make_member: MakeMember) -> People:
    return People(
        admin=make_member("QC", role="county_admin", scope="QC", name="县管理员"),
        editor=make_member(role="editor", name="宣传编辑甲"),
        r1=make_member("QC-LQ", role="org_admin", scope="QC-LQ", name="龙泉审核人"),
        r2=make_member("QC-SQ-01", name="青杠坪审核人", phone="13812345678"),
        r3=make_member("QC-D-RS", name="人社局审核人"),
        gone=make_member(name="已转出的人", status="transferred"),
    )


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def fingerprint(client: FlaskClient) -> str:
    match = re.search(r'name="fingerprint" value="([^"]+)"', text(client.get(SETTINGS)))
    assert match, "no fingerprint on the settings page"
    return match.group(1)


def post_levels(client: FlaskClient, token: str, rows: list[dict[str, Any]],
                *, new: dict[str, Any] | None = None, stamp: str | None = None) -> Any:
    """The levels form as the page sends it: one dict per level shown."""
    data: dict[str, Any] = {"csrf_token": token, "count": str(len(rows)),
                            "fingerprint": stamp if stamp is not None else fingerprint(client)}
    for index, row in enumerate(rows, start=1):
        data[f"name-{index}"] = row["name"]
        data[f"member-{index}"] = [str(m) for m in row.get("members", [])]
        data[f"remove-{index}"] = [str(m) for m in row.get("remove", [])]
        data[f"add-{index}"] = row.get("add", "")
        if row.get("drop"):
            data[f"drop-{index}"] = "1"
    for key, value in (new or {}).items():
        data[f"new-{key}"] = value
    return client.post(f"{SETTINGS}/levels", data=data)


def audit_rows(target: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "news_config", AuditEvent.target == target)
        .order_by(AuditEvent.id)))


# -- review levels -------------------------------------------------------------------


def test_levels_are_saved_through_the_page_with_their_people(
        client: FlaskClient, people: People) -> None:
    token = login(client, people.admin)
    page = text(client.get(SETTINGS))
    assert "第3级（最后一级，终审签发）" in page
    assert "同一人可以在几级担任审核人" in page and "一人只能审核一次" in page

    # By 党员编号 and by phone; the last level renamed; the org admin is a reviewer.
    response = post_levels(client, token, [
        {"name": "初审", "add": f"{people.r1.code}，{people.r2.phone}"},
        {"name": "复审", "add": people.r2.code},
        {"name": "终审签发（县委宣传部）", "add": people.r3.code.lower()},
    ])
    assert response.status_code == 303, text(response)[:800]
    db.session.expire_all()
    assert service.levels_config(db.session) == [
        ("初审", sorted([people.r1.id, people.r2.id])), ("复审", [people.r2.id]),
        ("终审签发（县委宣传部）", [people.r3.id])]
    [event] = audit_rows("审核级别")
    assert event.actor_id == people.admin.id
    assert event.after == {"levels": [["初审", sorted([people.r1.id, people.r2.id])],
                                      ["复审", [people.r2.id]],
                                      ["终审签发（县委宣传部）", [people.r3.id]]]}

    page = text(client.get(SETTINGS))
    assert "审核级别已保存" in page
    # Each reviewer by name and organization; the org admin's role is said.
    assert "龙泉审核人" in page and "龙泉镇党委" in page and "组织管理员" in page
    assert "青杠坪审核人" in page and "青杠坪村党支部" in page
    assert "人社局审核人" in page and "县人社局党组" in page
    assert "最近一次修改：县管理员" in page

    # Remove a person with the checkbox, add a level before the last one.
    response = post_levels(client, token, [
        {"name": "初审", "members": sorted([people.r1.id, people.r2.id]),
         "remove": [people.r2.id]},
        {"name": "复审", "members": [people.r2.id]},
        {"name": "终审签发（县委宣传部）", "members": [people.r3.id]},
    ], new={"name": "部门会审", "add": people.r1.code, "before": "3"})
    assert response.status_code == 303, text(response)[:800]
    db.session.expire_all()
    assert service.levels_config(db.session) == [
        ("初审", [people.r1.id]), ("复审", [people.r2.id]), ("部门会审", [people.r1.id]),
        ("终审签发（县委宣传部）", [people.r3.id])]
    assert len(audit_rows("审核级别")) == 2

    # Drop a level: the one before becomes the last, the signing one.
    response = post_levels(client, token, [
        {"name": "初审", "members": [people.r1.id]},
        {"name": "复审", "members": [people.r2.id]},
        {"name": "部门会审", "members": [people.r1.id], "drop": True},
        {"name": "终审签发", "members": [people.r3.id]},
    ])
    assert response.status_code == 303
    db.session.expire_all()
    assert [name for name, _ in service.levels_config(db.session)] == ["初审", "复审", "终审签发"]


def test_a_level_left_empty_is_refused_next_to_the_form(
        client: FlaskClient, people: People) -> None:
    token = login(client, people.admin)
    post_levels(client, token, [{"name": "初审", "add": people.r1.code},
                                {"name": "复审", "add": people.r2.code},
                                {"name": "终审签发", "add": people.r3.code}])
    db.session.expire_all()
    before = service.levels_config(db.session)

    response = post_levels(client, token, [
        {"name": "初审", "members": [people.r1.id]},
        {"name": "复审", "members": [people.r2.id], "remove": [people.r2.id]},
        {"name": "终审签发改名", "members": [people.r3.id]},
    ])
    assert response.status_code == 400
    page = text(response)
    assert "没有保存：“复审”至少要有一名审核人" in page
    assert 'value="终审签发改名"' in page  # the form as it was sent, to fix and send again
    db.session.expire_all()
    assert service.levels_config(db.session) == before
    assert len(audit_rows("审核级别")) == 1

    # Someone typed who isn't there, or whose account is closed: said next to the field.
    response = post_levels(client, token, [
        {"name": "初审", "members": [people.r1.id], "add": "M99999"},
        {"name": "复审", "members": [people.r2.id], "add": people.gone.code},
        {"name": "终审签发", "members": [people.r3.id]},
    ])
    assert response.status_code == 400
    page = text(response)
    assert "没有找到党员编号或手机号为“M99999”的党员" in page
    assert f"已转出的人（{people.gone.code}）的账号已停用，不能担任审核人" in page
    db.session.expire_all()
    assert service.levels_config(db.session) == before


def test_a_level_where_an_article_waits_cant_be_removed(
        client: FlaskClient, people: People) -> None:
    token = login(client, people.admin)
    post_levels(client, token, [{"name": "初审", "add": people.r1.code},
                                {"name": "复审", "add": people.r2.code},
                                {"name": "终审签发", "add": people.r3.code}])
    db.session.add(NewsArticle(article_id="dengdai-zhongshen", section="news",
                               path="news/dengdai-zhongshen.md", state="in_review", level=3,
                               created_by=people.editor.id))
    db.session.commit()
    response = post_levels(client, token, [
        {"name": "初审", "members": [people.r1.id]},
        {"name": "复审", "members": [people.r2.id]},
        {"name": "终审签发", "members": [people.r3.id], "drop": True},
    ])
    assert response.status_code == 409
    assert "有稿件正在第3级等待审核，不能把审核级别减少到2级" in text(response)
    db.session.expire_all()
    assert len(service.levels_config(db.session)) == 3


def test_a_form_sent_after_someone_else_saved_is_refused(
        client: FlaskClient, people: People) -> None:
    token = login(client, people.admin)
    stale = fingerprint(client)
    service.configure_levels(db.session, people.admin, [
        ("初审", [people.r1.id]), ("复审", [people.r2.id]), ("终审签发", [people.r3.id])],
        beijing(2027, 3, 1, 9, 0))
    response = post_levels(client, token, [{"name": "只有一级", "add": people.r1.code}],
                           stamp=stale)
    assert response.status_code == 409
    assert "审核级别刚刚被其他人修改过" in text(response)
    db.session.expire_all()
    assert len(service.levels_config(db.session)) == 3


def test_only_the_county_admin_changes_the_setup(
        app: Flask, client: FlaskClient, people: People) -> None:
    service.configure_levels(db.session, people.admin, [
        ("初审", [people.r1.id]), ("复审", [people.r2.id]), ("终审签发", [people.r3.id])],
        beijing(2027, 3, 1, 9, 0))
    before = service.levels_config(db.session)
    for member in (people.editor, people.r1):  # an editor; a reviewer who is an org admin
        other = app.test_client()
        token = login(other, member)
        assert other.get(SETTINGS).status_code == 403
        assert other.get("/app/newsroom/freshness").status_code == 200  # the newsroom, yes
        posts = {
            "levels": {"count": "1", "name-1": "一级", "add-1": member.code,
                       "fingerprint": admin_pages.fingerprint(before)},
            "words": {"words": "坏词=好词"},
            "thresholds": {"news": "7", "policy": "30"},
        }
        for path, form in posts.items():
            response = other.post(f"{SETTINGS}/{path}", data={"csrf_token": token, **form})
            assert response.status_code == 403, path
            assert "您没有查看这个页面的权限" in text(response)
    db.session.expire_all()
    assert service.levels_config(db.session) == before
    assert db.session.scalar(select(func.count()).select_from(SensitiveWord)) == 0
    assert service.stale_days(db.session) == {"news": 14, "policy": 183}
    assert audit_rows("错敏词") == [] and audit_rows("更新时限") == []


# -- 错敏词 and thresholds -----------------------------------------------------------


def test_sensitive_words_are_saved_and_a_bad_line_is_named(
        client: FlaskClient, people: People) -> None:
    token = login(client, people.admin)
    response = client.post(f"{SETTINGS}/words", data={
        "csrf_token": token,
        "words": "两不愁三保证=两不愁三保障\r\n\r\n扶贫攻艰＝扶贫攻坚\r\n某敏感词\r\n某敏感词\r\n"})
    assert response.status_code == 303
    db.session.expire_all()
    assert sorted(db.session.execute(select(SensitiveWord.word, SensitiveWord.suggestion))) == [
        ("两不愁三保证", "两不愁三保障"), ("扶贫攻艰", "扶贫攻坚"), ("某敏感词", None)]
    [event] = audit_rows("错敏词")
    assert event.actor_id == people.admin.id and event.after == {"words": 3}
    page = text(client.get(SETTINGS))
    assert "错敏词表已保存，共3个词" in page
    assert "现有 <strong>3</strong> 个错敏词" in page
    assert "两不愁三保证=两不愁三保障\n扶贫攻艰=扶贫攻坚\n某敏感词" in page

    long_word = "长" * 51
    response = client.post(f"{SETTINGS}/words", data={
        "csrf_token": token, "words": f"错词一=对词一\n{long_word}\n=没有错词\n"})
    assert response.status_code == 400
    page = text(response)
    assert "第2行：错敏词“" + "长" * 20 + "”太长" in page
    assert "第3行：等号前面缺少错词" in page
    assert "错词一=对词一" in page  # what was typed stays in the box
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SensitiveWord)) == 3
    assert len(audit_rows("错敏词")) == 1


def test_thresholds_are_saved_and_out_of_range_refused(
        client: FlaskClient, people: People) -> None:
    token = login(client, people.admin)
    page = text(client.get(SETTINGS))
    assert 'name="news" value="14"' in page and 'name="policy" value="183"' in page
    response = client.post(f"{SETTINGS}/thresholds",
                           data={"csrf_token": token, "news": "10", "policy": "90"})
    assert response.status_code == 303
    db.session.expire_all()
    assert service.stale_days(db.session) == {"news": 10, "policy": 90}
    [event] = audit_rows("更新时限")
    assert event.after == {"news": 10, "policy": 90}

    response = client.post(f"{SETTINGS}/thresholds",
                           data={"csrf_token": token, "news": "10", "policy": "4000"})
    assert response.status_code == 400
    page = text(response)
    assert 'id="policy-problem"' in page and "政策解读的更新时限应为1至3660天" in page
    assert 'name="policy" value="4000"' in page
    response = client.post(f"{SETTINGS}/thresholds",
                           data={"csrf_token": token, "news": "两周", "policy": "90"})
    assert response.status_code == 400
    assert "新闻动态的更新时限请填写天数（整数）" in text(response)
    db.session.expire_all()
    assert service.stale_days(db.session) == {"news": 10, "policy": 90}
    assert len(audit_rows("更新时限")) == 1


# -- the freshness watch -------------------------------------------------------------


def published(article_id: str, section: str, day: dt.date) -> None:
    db.session.add(Article(id=article_id, title=article_id, url=f"/{section}/{article_id}/",
                           section=section, issue=f"{day:%Y-%m}" if section == "column" else None,
                           category="knowledge" if section == "column" else None,
                           published=day, chars=800, required_seconds=60, credit_hours=0.5))


def test_freshness_warns_of_a_stale_section_by_the_injected_clock(
        client: FlaskClient, people: People, monkeypatch: pytest.MonkeyPatch) -> None:
    published("column-feb", "column", dt.date(2027, 2, 10))
    published("news-old", "news", dt.date(2027, 2, 20))
    published("policy-jan", "policy", dt.date(2027, 1, 5))
    db.session.add(NewsArticle(article_id="news-next", section="news", path="news/news-next.md",
                               state="scheduled", level=0, publish_on=dt.date(2027, 3, 25),
                               created_by=people.editor.id))
    db.session.commit()
    login(client, people.editor)

    monkeypatch.setattr("learning_app.newsroom.admin_views.utcnow",
                        lambda: beijing(2027, 3, 20, 10, 0))
    page = text(client.get("/app/newsroom/freshness"))
    assert "今天（北京时间）：2027年3月20日" in page
    assert "需要注意（1项）" in page
    assert "<span class=\"tag\">提醒</span> 新闻动态已28天未更新，超过了14天的更新时限" in page
    assert "2027年2月20日" in page and "2027年3月25日定时上线" in page
    assert "已于2027年3月6日超过时限" in page
    assert page.count("需要注意</strong>") == 1  # the news row only
    assert "国办秘函〔2019〕19号" in page and "累计达到5个" in page

    # A week before the month ends without a column article this month: warned too.
    monkeypatch.setattr("learning_app.newsroom.admin_views.utcnow",
                        lambda: beijing(2027, 3, 27, 10, 0))
    page = text(client.get("/app/newsroom/freshness"))
    assert "脱贫攻坚专栏本月（3月）还没有发布文章，距月底还有5天（含今天）" in page
    assert "需要注意（2项）" in page
    assert "本月还没有发布，请在2027年3月31日前发布" in page

    # Early in April everything is within its limits once news is published.
    published("news-apr", "news", dt.date(2027, 4, 1))
    published("column-mar", "column", dt.date(2027, 3, 28))
    db.session.commit()
    monkeypatch.setattr("learning_app.newsroom.admin_views.utcnow",
                        lambda: beijing(2027, 4, 2, 10, 0))
    page = text(client.get("/app/newsroom/freshness"))
    assert "目前没有需要提醒的栏目" in page and "需要注意（" not in page


# -- site builds -------------------------------------------------------------------


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        moment = self.now
        self.now += dt.timedelta(minutes=1)
        return moment


@pytest.fixture
def layout(ctx: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SiteLayout:
    """Builds under tmp_path, wired into the app's configuration for this test."""
    content = tmp_path / "content"
    content.mkdir()
    instance = tmp_path / "instance"
    for key, value in {"SITE_DIR": instance / "site-live",
                       "SITE_BUILDS_DIR": instance / "site-builds",
                       "CONTENT_DIR": content}.items():
        monkeypatch.setitem(ctx.config, key, str(value))
    monkeypatch.setitem(ctx.config, "SITE_FALLBACK_DIR", None)
    return SiteLayout.from_config(ctx.config)


def builder(ok: bool, report: str = "") -> Any:
    def build(layout: SiteLayout, target: Path, today: dt.date) -> BuildOutcome:
        if ok:
            (target / "index.html").write_text("<h1>站点</h1>", encoding="utf-8")
            (target / "learning-manifest.json").write_text('{"version": 1, "articles": []}',
                                                           encoding="utf-8")
        return BuildOutcome(ok, report)

    return build


BROKEN = ("INFO    -  Cleaning site directory\n"
          "ERROR   -  1 content error(s):\n"
          "  news/dongxun-bushu.md:3: date: 应为“2026-12-01”这样的日期\n")


def scheduled_article(author: Member) -> None:
    item = NewsArticle(article_id="dongxun-bushu", section="news", path="news/dongxun-bushu.md",
                       state="scheduled", level=0, publish_on=dt.date(2027, 3, 28),
                       created_by=author.id)
    db.session.add(item)
    db.session.flush()
    revision = NewsRevision(article_id=item.id, number=1, body="正文。\n", author_id=author.id,
                            front_matter={"title": "县委部署党员冬训", "date": "2027-03-28",
                                          "id": "dongxun-bushu"})
    db.session.add(revision)
    db.session.flush()
    item.current_revision_id = revision.id
    db.session.commit()


def test_builds_show_a_failed_builds_reason_and_a_live_builds_link(
        client: FlaskClient, people: People, layout: SiteLayout) -> None:
    clock = Clock(beijing(2027, 3, 20, 9, 0))
    first = request_build(db.session, "签发：《春耕生产动员会召开》", now=clock())
    run_pending(db.session, layout, clock=clock, build=builder(True))
    second = request_build(db.session, "签发：《坏日期的稿件》", now=clock())
    run_pending(db.session, layout, clock=clock, build=builder(False, BROKEN))
    scheduled_article(people.editor)
    login(client, people.editor)

    page = text(client.get("/app/newsroom/builds"))
    failed, live = page.split(f"第{first}次更新")[0], page.split(f"第{first}次更新")[1]
    assert f"第{second}次更新：<strong data-field=\"label\">失败</strong>" in failed
    assert "原因：签发：《坏日期的稿件》" in failed
    assert "网站构建失败，线上网站保持原样" in failed
    # The file's problem, under the title of the newsroom article it belongs to.
    assert ("《县委部署党员冬训》（news/dongxun-bushu.md）第3行，日期：应为“2026-12-01”这样的日期"
            in failed)
    assert "申请：2027-03-20 09:04" in failed  # the runner read the clock once more after the first
    assert "<strong data-field=\"label\">已上线</strong>（当前线上的版本）" in live
    assert "原因：签发：《春耕生产动员会召开》" in live
    assert "完成：<span data-field=\"finished\">2027-03-20 09:02</span>" in live
    assert '<a class="button" href="/">打开网站查看</a>' in live
    assert "data-poll" not in page  # nothing running: nothing polled
    # Scheduled go-lives, from the database.
    assert "县委部署党员冬训" in page and "定于2027年3月28日自动上线" in page


def test_build_status_follows_a_build_from_queued_to_live(
        client: FlaskClient, people: People, layout: SiteLayout) -> None:
    login(client, people.editor)
    assert client.get("/app/newsroom/builds/status").get_json()["status"] is None

    clock = Clock(beijing(2027, 3, 20, 9, 0))
    build_id = request_build(db.session, "签发：《春耕生产动员会召开》", now=clock())
    page = text(client.get("/app/newsroom/builds"))
    assert f'data-poll="/app/newsroom/builds/status?id={build_id}"' in page
    assert "newsroom/builds.js" in page
    queued = client.get(f"/app/newsroom/builds/status?id={build_id}")
    assert queued.headers["Cache-Control"] == "no-store"
    assert queued.get_json() == {"id": build_id, "status": "queued", "label": "排队中",
                                 "error": None, "started_at": None, "finished_at": None}

    run_pending(db.session, layout, clock=clock, build=builder(True))
    live = client.get(f"/app/newsroom/builds/status?id={build_id}").get_json()
    assert live == {"id": build_id, "status": "live", "label": "已上线", "error": None,
                    "started_at": "2027-03-20 09:01", "finished_at": "2027-03-20 09:02"}
    assert client.get("/app/newsroom/builds/status").get_json() == live  # the latest

    failed_id = request_build(db.session, "撤稿：《旧闻》", now=clock())
    run_pending(db.session, layout, clock=clock, build=builder(False, BROKEN))
    failed = client.get("/app/newsroom/builds/status").get_json()
    assert failed["id"] == failed_id and failed["label"] == "失败"
    assert failed["error"].startswith("网站构建失败，线上网站保持原样")

    missing = client.get("/app/newsroom/builds/status?id=99999")
    assert missing.status_code == 404 and missing.get_json() == {"error": "没有找到这次网站更新"}
    db.session.expire_all()
    assert db.session.get(SiteBuild, build_id).status == "live"
