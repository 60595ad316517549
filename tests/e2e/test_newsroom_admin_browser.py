"""The newsroom's county pages on a 390px phone: 采编设置 (as shown, and with a
refused save), 栏目更新情况 and 网站更新记录 fit the screen, have no text under 16px
and pass axe-core with no serious or critical violation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import READER_PASSWORD, running_app, sign_in
from tests.e2e.test_trust_pages import reads_well

ADMIN = "E2ENRADM"


def add_newsroom() -> None:
    """A county admin, three reviewers on the levels, a 错敏词 list, articles on the
    site (news a month old: a warning whatever the day), and a failed build."""
    from sqlalchemy import select

    from learning_app.admin.memberships import open_membership
    from learning_app.auth.passwords import hash_password
    from learning_app.extensions import db
    from learning_app.models import Article, Member, Organization, SiteBuild
    from learning_app.models.orgs import add_organization
    from learning_app.models.types import local_today, utcnow
    from learning_app.newsroom import service
    from learning_app.newsroom.builds import failure_text

    county = db.session.scalar(select(Organization).where(Organization.code == "QC"))
    assert county is not None
    town = add_organization(db.session, code="QC-LQ", name="龙泉镇党委", kind="township",
                            parent=county)
    people = {}
    for n, (code, name, role, org) in enumerate([
            (ADMIN, "刘国平", "county_admin", county), ("E2ENR1", "李春梅", "org_admin", town),
            ("E2ENR2", "陈建华", "member", county), ("E2ENR3", "周立新", "member", county)],
            start=1):
        member = Member(code=code, name=name, phone=f"1350000{n:04d}", role=role,
                        scope_org_id=org.id if role != "member" else None,
                        password_hash=hash_password(READER_PASSWORD), must_change_password=False)
        db.session.add(member)
        db.session.flush()
        open_membership(db.session, member, org, dt.date(2020, 1, 1))
        people[code] = member
    db.session.commit()
    now = utcnow()
    service.configure_levels(db.session, people[ADMIN], [
        ("初审", [people["E2ENR1"].id]), ("复审", [people["E2ENR2"].id]),
        ("终审签发", [people["E2ENR3"].id])], now)
    service.set_sensitive_words(db.session, people[ADMIN],
                                [("两不愁三保证", "两不愁三保障"), ("某敏感词", None)], now)
    today = local_today()
    for aid, section, days in (("e2e-column", "column", 3), ("e2e-news", "news", 30),
                               ("e2e-policy", "policy", 10)):
        day = today - dt.timedelta(days=days)
        db.session.add(Article(id=aid, title=aid, url=f"/{section}/{aid}/", section=section,
                               issue=f"{day:%Y-%m}" if section == "column" else None,
                               category="knowledge" if section == "column" else None,
                               published=day, chars=900, required_seconds=60,
                               credit_hours=0.5))
    db.session.add(SiteBuild(
        status="failed", reason="签发：《春耕生产动员会召开》", requested_at=now,
        started_at=now, finished_at=now,
        error=failure_text("1 content error(s):\n  news/chungeng.md:3: date: 应为日期\n")))
    db.session.commit()


@pytest.fixture
def newsroom_server(port: int, tmp_path: Path) -> Iterator[str]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<h1>站点</h1>", encoding="utf-8")
    overrides = {"CONTENT_DIR": str(tmp_path / "content"),
                 "HUEY_SQLITE_PATH": str(tmp_path / "jobs.db"), "HUEY_IMMEDIATE": True}
    with running_app(site, port, tmp_path / "newsroom.db", member_code="E2ENR0",
                     member_name="王学习", overrides=overrides, setup=add_newsroom) as url:
        yield url


def test_the_county_newsroom_pages_read_well_on_a_phone(newsroom_server: str,
                                                        phone: Any) -> None:
    base = newsroom_server
    page = phone.new_page()
    sign_in(page, base, ADMIN)

    page.goto(base + "/app/newsroom/settings")
    main = page.inner_text("main")
    assert "第3级（最后一级，终审签发）" in main and "李春梅" in main and "龙泉镇党委" in main
    assert "现有 2 个错敏词" in main
    reads_well(page, "采编设置")

    # A refused save: the message beside the form, the form as it was sent.
    page.check("input[name=remove-2]")
    page.click("button:has-text('保存审核级别')")
    page.wait_for_load_state()
    assert "没有保存：“复审”至少要有一名审核人" in page.inner_text("#levels")
    reads_well(page, "采编设置（保存被拒）")

    page.goto(base + "/app/newsroom/freshness")
    main = page.inner_text("main")
    assert "新闻动态已30天未更新，超过了14天的更新时限" in main
    assert "国办秘函〔2019〕19号" in main
    reads_well(page, "栏目更新情况")

    page.goto(base + "/app/newsroom/builds")
    assert "news/chungeng.md 第3行，日期：应为日期" in page.inner_text("main")
    reads_well(page, "网站更新记录")
