"""A county admin on a phone: the 参学统计 dashboard, its charts, and a drill-down to a village."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import READER_PASSWORD, running_app, sign_in

ADMIN = "ADMIN01"


def add_county() -> None:
    """Two townships with a village each, an admin, and members with today's hours."""
    from sqlalchemy import select

    from learning_app.admin.memberships import open_membership
    from learning_app.auth.passwords import hash_password
    from learning_app.credits.ledger import award
    from learning_app.extensions import db
    from learning_app.models import Member, Organization
    from learning_app.models.orgs import add_organization
    from learning_app.models.types import utcnow

    county = db.session.scalar(select(Organization).where(Organization.code == "QC"))
    assert county is not None
    lq = add_organization(db.session, code="QC-LQ", name="龙泉镇党委", kind="township",
                          parent=county)
    sq = add_organization(db.session, code="QC-SQ", name="石桥乡党委", kind="township",
                          parent=county)
    village = add_organization(db.session, code="QC-LQ-01", name="杨柳湾村党支部",
                               kind="village", parent=lq)
    other = add_organization(db.session, code="QC-SQ-01", name="青杠坪村党支部",
                             kind="village", parent=sq)
    db.session.add(Member(code=ADMIN, name="县管理员", phone="13800000001",
                          role="county_admin", password_hash=hash_password(READER_PASSWORD),
                          must_change_password=False))
    # Earned a minute ago: inside the current half-year, the dashboard's default period.
    moment = utcnow() - dt.timedelta(minutes=1)
    for n, (org, name, hours) in enumerate([(village, "李明", ("3", "1.5")),
                                            (village, "赵红", ("0.5",)),
                                            (other, "孙强", ("2",))], start=1):
        member = Member(code=f"E2ER{n:02d}", name=name, phone=f"1370000{n:04d}",
                        must_change_password=False)
        db.session.add(member)
        db.session.flush()
        open_membership(db.session, member, org, dt.date(2020, 1, 1))
        for k, amount in enumerate(hours):
            award(db.session, member_id=member.id, org_id=org.id,
                  source_type=("training", "reading")[k], source_key=f"e2e-{n}-{k}",
                  hours=Decimal(amount), earned_at=moment)
    db.session.commit()


@pytest.fixture
def reports_server(site_dir: Path, port: int, tmp_path: Path) -> Iterator[str]:
    with running_app(site_dir, port, tmp_path / "reports.db", member_code="E2E003",
                     member_name="刘学习", setup=add_county) as url:
        yield url


def drew_something(page: Any, selector: str) -> bool:
    """The chart's canvas has a size and at least one painted pixel."""
    canvas = page.locator(f"{selector} canvas").first
    box = canvas.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100, box
    return bool(canvas.evaluate("""(c) => {
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < data.length; i += 4) { if (data[i]) { return true; } }
        return false; }"""))


def test_a_county_admin_drills_down_on_a_phone(reports_server: str, phone: Any) -> None:
    page = phone.new_page()
    hosts: set[str] = set()
    errors: list[str] = []
    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname or ""))
    page.on("console", lambda message: errors.append(f"{message.text} {message.location}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    sign_in(page, reports_server, ADMIN)
    page.click("nav.menu >> text=参学统计")
    page.wait_for_url(reports_server + "/app/reports/")
    assert "参学统计 · 中共青川县委" in page.inner_text("h1")
    tiles = page.locator(".report-tiles .tile")
    assert tiles.count() == 6
    assert "应学人数" in tiles.nth(0).inner_text() and "4" in tiles.nth(0).inner_text()
    assert "参学 3 / 应学 4" in tiles.nth(1).inner_text()  # the signed-up reader has none

    page.wait_for_selector("#report-charts[data-state=drawn]")
    assert drew_something(page, "#chart-children")
    assert drew_something(page, "#chart-months")
    # Nothing wider than the phone: tables scroll inside their own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.click("table.report-children >> text=龙泉镇党委")
    page.wait_for_selector("h1:has-text('龙泉镇党委')")
    assert page.inner_text("nav.trail").split() == ["中共青川县委", "›", "龙泉镇党委"]
    assert "石桥乡党委" not in page.inner_text("main")
    page.wait_for_selector("#report-charts[data-state=drawn]")

    page.click("table.report-children >> text=杨柳湾村党支部")
    page.wait_for_selector("h1:has-text('杨柳湾村党支部')")
    row = page.locator("table.report-members tr", has_text="李明")
    assert "E2ER01" in row.inner_text()
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    headers = [h.strip() for h in page.locator("table.report-members th").all_inner_texts()]
    assert headers[:5] == ["编码", "姓名", "专栏阅读", "线下培训", "合计学时"]
    assert cells[:5] == ["E2ER01", "李明", "1.5", "3", "4.5"]
    assert "赵红" in page.inner_text("table.report-members")
    assert "孙强" not in page.inner_text("main")  # another township's member

    assert hosts == {"127.0.0.1"}, hosts
    # The browser's own favicon probe is the app's affair, not the dashboard's.
    assert [e for e in errors if "/favicon.ico" not in e] == []
