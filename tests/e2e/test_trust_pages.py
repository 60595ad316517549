"""The trust pages on a 390px phone: a branch secretary prints a 开通通知单, the member
activates with the code on it and lands on 我的学习; the login, activate, notices and
audit pages fit the screen, have no text under 16px and pass axe-core (no serious or
critical violation)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import READER_PASSWORD, running_app, sign_in

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
SECRETARY, ADMIN, NEWCOMER = "E2ESEC", "E2EADM", "E2ENEW"
NEW_PASSWORD = "Yangliu wan 2026 dangjian!"
WIDTH = 390

# Every visible text node with its computed size (the QR code is drawn, not text).
VISIBLE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || !el.offsetParent) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    out.push({text, size: parseFloat(style.fontSize)});
  }
  return out;
}"""


def add_branch() -> None:
    """A village branch with its secretary, a county admin and two members who have
    never signed in (no password: they activate from a printed notice)."""
    import datetime as dt

    from sqlalchemy import select

    from learning_app.admin.memberships import open_membership
    from learning_app.auth.passwords import hash_password
    from learning_app.extensions import db
    from learning_app.models import Member, Organization
    from learning_app.models.orgs import add_organization

    county = db.session.scalar(select(Organization).where(Organization.code == "QC"))
    assert county is not None
    town = add_organization(db.session, code="QC-LQ", name="龙泉镇党委", kind="township",
                            parent=county)
    village = add_organization(db.session, code="QC-LQ-01", name="杨柳湾村党支部",
                               kind="village", parent=town)
    people = [(SECRETARY, "李春梅", "org_admin", village, True),
              (ADMIN, "刘国平", "county_admin", None, True),
              (NEWCOMER, "张光强", "member", None, False),
              ("E2EOLD", "刘凤群", "member", None, False)]
    for n, (code, name, role, scope, has_password) in enumerate(people, start=1):
        member = Member(code=code, name=name, phone=f"1360000{n:04d}", role=role,
                        scope_org_id=scope.id if scope else None,
                        password_hash=hash_password(READER_PASSWORD) if has_password else None,
                        must_change_password=False)
        db.session.add(member)
        db.session.flush()
        open_membership(db.session, member, village, dt.date(2020, 1, 1))
    db.session.commit()


@pytest.fixture
def trust_server(site_dir: Path, port: int, tmp_path: Path) -> Iterator[str]:
    with running_app(site_dir, port, tmp_path / "trust.db", member_code="E2E004",
                     member_name="王学习", setup=add_branch) as url:
        yield url


def reads_well(page: Any, what: str) -> None:
    """Fits 390px, no visible text under 16px, no serious or critical axe violation."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{what}: {width}px wide on a {WIDTH}px phone"
    texts = page.evaluate(VISIBLE_TEXT)
    assert texts, what
    small = [t for t in texts if t["size"] < 16]
    assert small == [], f"{what}: text under 16px: {small[:3]}"
    # Through the DevTools protocol: the app's CSP (rightly) refuses an injected <script>.
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    serious = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
                           .map(v => [v.id, v.nodes.length,
                                      v.nodes.slice(0, 3).map(n => n.target.join(' '))]);
    }""")
    assert serious == [], f"{what}: {serious}"


def fill_activation(page: Any, code: str, password: str) -> None:
    page.fill("input[name=login]", NEWCOMER)
    page.fill("input[name=code]", code)
    page.fill("input[name=new]", password)
    page.fill("input[name=confirm]", password)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()


def test_a_member_activates_from_a_printed_notice_on_a_phone(
        trust_server: str, phone: Any) -> None:
    base = trust_server
    page = phone.new_page()

    # The secretary: 组织 → her branch → 打印开通通知单 → everyone without a password.
    sign_in(page, base, SECRETARY)
    page.click(".menu >> text=组织")
    page.click("text=打印开通通知单")
    assert "尚未开通的党员：2 人" in page.inner_text("main")
    reads_well(page, "选择打印开通通知单的党员")
    page.click("button:has-text('为全部未开通的党员打印')")
    page.wait_for_selector(".slip")
    reads_well(page, "开通通知单")
    back = page.get_by_role("link", name="返回组织").get_attribute("href")
    assert page.url == base + f"{back}/activation", (back, page.url)  # to her branch
    slip = page.locator(".slip").filter(has_text=NEWCOMER)
    assert "张光强" in slip.inner_text()
    code = slip.locator(".code dd").inner_text().strip()
    assert re.fullmatch(r"\d{4} \d{4} \d{2}", code), code
    phone.clear_cookies()  # the notice page stands alone (no menu): a fresh phone

    # The member, from the login page, with the slip in hand.
    page = phone.new_page()
    page.goto(base + "/app/login")
    reads_well(page, "登录")
    page.click("text=用开通码开通账号")
    page.wait_for_url(base + "/app/activate")
    reads_well(page, "开通账号")

    digits = code.replace(" ", "")
    typo = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    fill_activation(page, typo, NEW_PASSWORD)
    assert "开通码不正确或已失效" in page.inner_text("form")
    reads_well(page, "开通码输错")

    fill_activation(page, f" {code} ", "12345678")  # spaces around are forgiven
    form = page.inner_text("form")
    assert "常见密码" in form
    assert "请照通知单重新输入开通码" in form  # the cleared code field is explained
    reads_well(page, "密码太简单")

    fill_activation(page, code, NEW_PASSWORD)
    page.wait_for_url(base + "/app/")
    main = page.inner_text("main")
    assert "账号已开通" in main and NEWCOMER in main and "我的学习" in main
    reads_well(page, "我的学习")

    # The county admin reads it all in the audit log, in Chinese.
    phone.clear_cookies()
    page = phone.new_page()
    sign_in(page, base, ADMIN)
    page.goto(base + "/app/admin/audit/")
    log = page.inner_text("main")
    for action in ("发放开通码", "开通码错误", "使用开通码开通账号", "开通码有效期至"):
        assert action in log, action
    assert re.search(r"\b[a-z]+_[a-z_]+\b", log) is None, "a raw key on the audit page"
    reads_well(page, "审计日志")
