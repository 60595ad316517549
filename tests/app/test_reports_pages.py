"""The 参学统计 pages: dashboard, drill-down, JSON for the charts, exports, and scope.

The figures are those of the ``county`` fixture (tests/app/conftest.py),
computed by hand in test_reports.py for 2026-H2 as read after the period ended
(2027-01-10): the views' clock is pinned there, so the page shows the same
numbers on any real date.
"""

from __future__ import annotations

import datetime as dt
import re
from io import BytesIO
from urllib.parse import unquote

import pytest
from flask.testing import FlaskClient

from learning_app.auth.passwords import hash_password
from learning_app.extensions import db
from learning_app.models import Member
from tests.app.conftest import PASSWORD, MakeMember, Tree, login
from tests.app.report_helpers import AFTER


@pytest.fixture(autouse=True)
def _after_the_period(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("learning_app.reports.views.local_today", lambda: AFTER)


def admin(tree: Tree, code: str, role: str, scope: str | None) -> Member:
    """An admin account with no membership: it must not change the hand-computed roll."""
    member = Member(code=code, name=f"管理员{code}", phone=f"1380000{len(code):04d}", role=role,
                    scope_org_id=tree[scope].id if scope else None,
                    password_hash=hash_password(PASSWORD), must_change_password=False)
    db.session.add(member)
    db.session.commit()
    return member


@pytest.fixture
def county_admin(tree: Tree, county: dict[str, Member]) -> Member:
    return admin(tree, "ADMIN1", "county_admin", None)


@pytest.fixture
def township_admin(tree: Tree, county: dict[str, Member]) -> Member:
    return admin(tree, "ADMIN22", "org_admin", "QC-LQ")


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    return response.get_data(as_text=True)


def text_of(html: str) -> str:
    """The visible text, whitespace squeezed: for assertions on what a reader sees."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def section(html: str, marker: str) -> str:
    """The text of the <section> (or table) that holds ``marker``."""
    start = html.index(marker)
    end = html.find("</section>", start)
    return text_of(html[start:end])


def tiles_of(html: str) -> str:
    start = html.index('class="report-tiles"')
    return text_of(html[html.index(">", start) + 1:html.index("</section>", start)])


def tile(text: str, name: str) -> str:
    """A tile's value and the counts behind it."""
    match = re.search(re.escape(name) + r" (\S+) (.+?)(?= (?:应学人数|参学率|学时达标率|人均学时|"
                      r"参考率|合格率) |\s*$)", text)
    assert match, name
    return f"{match.group(1)} {match.group(2)}"


def trail_of(html: str) -> str:
    match = re.search(r'<nav class="trail"[^>]*>(.*?)</nav>', html, re.S)
    assert match
    return text_of(match.group(1)).strip()


def test_the_county_dashboard_shows_the_figures_by_hand(
        client: FlaskClient, tree: Tree, county_admin: Member) -> None:
    login(client, county_admin)
    html = page(client, f"/app/reports/?org={tree['QC'].id}&period=2026-H2")
    text = text_of(html)
    assert "参学统计 · 中共青川县委" in text and "2026年下半年" in text
    assert "统计截至 2026-12-31" in text and "期间进行中" not in text
    tiles = tiles_of(html)
    assert tile(tiles, "应学人数") == "5 另有免学 1 人"
    assert tile(tiles, "参学率") == "80.0% 参学 4 / 应学 5"
    assert tile(tiles, "学时达标率") == "40.0% 达标 2 / 应学 5"
    assert tile(tiles, "人均学时") == "11.4 学时合计 57 / 应学 5"
    assert tile(tiles, "参考率") == "40.0% 交卷 2 / 应参考 5 人次"
    assert tile(tiles, "合格率") == "50.0% 合格 1 / 交卷 2 人次"

    # The children, in code order, each a link down to itself; no member list at a county.
    rows = section(html, "report-children")
    assert ("县人社局党组 0 0 — — — — —" in rows)
    assert "龙泉镇党委 3 1 100.0% 66.7% 17.33 66.7% 50.0%" in rows
    assert "石桥乡党委 2 0 50.0% 0.0% 2.5 0.0% —" in rows
    for code in ("QC-D-RS", "QC-LQ", "QC-SQ"):
        assert f'href="/app/reports/?org={tree[code].id}&amp;period=2026-H2"' in html
    assert "本级（直属党员）" not in html  # the county's admin counts nowhere
    assert "report-members" not in html

    # 督学提醒: a (LQ-01, 10 of 16.13), d (moved to SQ-01, 9 anywhere) and g (nothing).
    reminders = section(html, "督学提醒")
    assert "以下 3 名党员期内学时低于折算目标" in reminders
    assert "党支部书记当面" in reminders
    assert "党员1 杨柳湾村党支部 10 16.13 差 6.13 学时" in reminders
    assert "党员4 青杠坪村党支部 9 16.13 差 7.13 学时" in reminders
    assert "党员7 青杠坪村党支部 0 16.13 差 16.13 学时" in reminders
    assert "党员2" not in reminders and "党员5" not in reminders  # attained
    assert "党员3" not in reminders  # exempt

    # Definitions, downloads, the chart's data source and the vendored ECharts only.
    assert "<details" in html and "指标口径" in html and "折算目标 = 年度目标" in html
    assert "导出 Excel" in html and "导出 CSV" in html
    assert f"/app/reports/export.xlsx?org={tree['QC'].id}&amp;period=2026-H2" in html
    assert f'data-api="/api/reports/participation?org={tree["QC"].id}&amp;period=2026-H2"' in html
    assert "/app/static/vendor/echarts-6.1.0/echarts.common.min.js" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_drill_down_to_a_village_lists_its_members(
        client: FlaskClient, tree: Tree, county_admin: Member, county: dict[str, Member]
        ) -> None:
    login(client, county_admin)
    township = page(client, f"/app/reports/?org={tree['QC-LQ'].id}&period=2026-H2")
    assert trail_of(township) == "中共青川县委 › 龙泉镇党委"
    assert f'href="/app/reports/?org={tree["QC-LQ-01"].id}&amp;period=2026-H2"' in township
    assert "杨柳湾村党支部 2 1 100.0% 50.0% 23.5 100.0% 50.0%" in section(
        township, "report-children")

    village = page(client, f"/app/reports/?org={tree['QC-LQ-01'].id}&period=2026-H2")
    assert trail_of(village) == "中共青川县委 › 龙泉镇党委 › 杨柳湾村党支部"
    assert "report-children" not in village  # no children: the members instead
    people = county
    members = section(village, "党员学习情况")
    assert "线下培训" in members  # hours by source, with the ledger's labels
    on_roll = text_of(village[village.index("report-members"):village.index("</table>",
                      village.index("report-members"))])
    a, b = people["a"], people["b"]
    assert f"{a.code} 党员1 10 10 16.13 差 6.13 学时 2026-H2：合格" in on_roll
    assert f"{b.code} 党员2 30 30 28.23 达标 2026-H2：不合格" in on_roll
    assert on_roll.index(a.code) < on_roll.index(b.code)  # by code, not by hours
    assert people["c"].code not in on_roll and people["d"].code not in on_roll
    exempt = text_of(village[village.index("免学党员"):village.index("已转出")])
    assert f"{people['c'].code} 党员3 3" in exempt
    departed = text_of(village[village.index("已转出"):village.index("督学提醒")])
    assert f"{people['d'].code} 党员4 4" in departed
    assert "以下 1 名党员" in section(village, "督学提醒")  # only a: the subtree's own


def test_the_period_select_free_text_and_a_bad_key(
        client: FlaskClient, tree: Tree, county_admin: Member) -> None:
    login(client, county_admin)
    # Default: the running half-year of the (pinned) day, 2027-01-10, at the admin's root.
    default = text_of(page(client, "/app/reports/"))
    assert "参学统计 · 中共青川县委" in default and "2027年上半年" in default
    assert "期间进行中" in default
    html = page(client, "/app/reports/")
    for key in ("2027-H1", "2026-H2", "2027-Q1", "2026-Q4", "2027-01", "2026-12", "2027",
                "2026"):
        assert f'<option value="{key}"' in html
    # The free text field wins over the select.
    custom = page(client, f"/app/reports/?org={tree['QC'].id}&period=2027-H1&custom=2025-Q3")
    assert "2025年第3季度" in custom and 'value="2025-Q3" placeholder' in custom
    bad = page(client, f"/app/reports/?org={tree['QC'].id}&period=2026-Q5", 400)
    assert "期间“2026-Q5”格式不对" in bad
    assert client.get("/api/reports/participation?period=2026-13").get_json()["error"] \
        .startswith("期间“2026-13”格式不对")


def test_the_json_of_the_charts(client: FlaskClient, tree: Tree, county_admin: Member) -> None:
    assert client.get("/api/reports/participation").status_code == 401
    assert client.get("/api/reports/participation").get_json() == {"error": "请先登录"}
    login(client, county_admin)
    response = client.get(f"/api/reports/participation?org={tree['QC'].id}&period=2026-H2")
    assert response.status_code == 200
    data = response.get_json()
    assert data["org"] == {"id": tree["QC"].id, "code": "QC", "name": "中共青川县委"}
    assert data["period"] == {"key": "2026-H2", "label": "2026年下半年"}
    figures = data["figures"]
    assert (figures["on_roll"], figures["exempt"], figures["participation"],
            figures["attainment"], figures["hours_per_member"], figures["test_rate"],
            figures["pass_rate"]) == (5, 1, 0.8, 0.4, 11.4, 0.4, 0.5)
    assert [(c["code"], c["name"]) for c in data["children"]] == [
        ("QC-D-RS", "县人社局党组"), ("QC-LQ", "龙泉镇党委"), ("QC-SQ", "石桥乡党委")]
    department, township, _ = data["children"]
    assert department["figures"]["participation"] is None  # nobody: a gap, not 0
    assert township["figures"]["participation"] == 1.0
    assert [m["key"] for m in data["months"]] == [f"2026-{n:02d}" for n in range(7, 13)]
    assert data["months"][0]["label"] == "2026年7月"


def test_a_township_admin_sees_only_the_township(
        client: FlaskClient, tree: Tree, township_admin: Member) -> None:
    login(client, township_admin)
    own = page(client, "/app/reports/?period=2026-H2")  # defaults to their township
    text = text_of(own)
    assert "参学统计 · 龙泉镇党委" in text
    assert trail_of(own) == "龙泉镇党委"  # never above the scope root
    assert "中共青川县委" not in text and "石桥乡党委" not in text and "青杠坪村" not in text
    reminders = section(own, "督学提醒")
    assert "以下 1 名党员" in reminders and "党员1 杨柳湾村党支部" in reminders
    assert "党员4" not in reminders and "党员7" not in reminders
    assert tile(tiles_of(own), "应学人数") == "3 另有免学 1 人"

    for code in ("QC", "QC-SQ", "QC-SQ-01"):
        org_id = tree[code].id
        assert client.get(f"/app/reports/?org={org_id}&period=2026-H2").status_code == 404
        api = client.get(f"/api/reports/participation?org={org_id}&period=2026-H2")
        assert api.status_code == 404 and "error" in api.get_json()
        for ext in ("xlsx", "csv"):
            url = f"/app/reports/export.{ext}?org={org_id}&period=2026-H2"
            assert client.get(url).status_code == 404
    assert client.get("/app/reports/?org=abc").status_code == 404
    data = client.get("/api/reports/participation?period=2026-H2").get_json()
    assert data["org"]["code"] == "QC-LQ"
    assert [c["code"] for c in data["children"]] == ["QC-LQ-01", "QC-LQ-02"]


def test_members_and_strangers_are_kept_out(
        client: FlaskClient, tree: Tree, make_member: MakeMember) -> None:
    assert client.get("/app/reports/").status_code == 302  # to the sign-in page
    plain = make_member("QC-LQ-01")
    login(client, plain)
    assert client.get("/app/reports/").status_code == 403
    assert client.get("/app/reports/export.csv").status_code == 403
    api = client.get("/api/reports/participation")
    assert api.status_code == 403 and "error" in api.get_json()


def _filename(response: object) -> str:
    disposition = response.headers["Content-Disposition"]  # type: ignore[attr-defined]
    assert disposition.startswith("attachment;")
    assert re.search(r'filename="[\x20-\x7e]+"', disposition)  # an ASCII fallback
    match = re.search(r"filename\*=UTF-8''(\S+)", disposition)
    assert match, disposition
    return unquote(match.group(1))


def test_the_excel_export(client: FlaskClient, tree: Tree, county_admin: Member) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    login(client, county_admin)
    response = client.get(f"/app/reports/export.xlsx?org={tree['QC'].id}&period=2026-H2")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert _filename(response) == "参学统计_中共青川县委_2026年下半年.xlsx"
    book = openpyxl.load_workbook(BytesIO(response.data))
    assert book.sheetnames


def test_the_csv_export(client: FlaskClient, tree: Tree, county_admin: Member) -> None:
    login(client, county_admin)
    response = client.get(f"/app/reports/export.csv?org={tree['QC'].id}&period=2026-H2")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM
    assert not response.data.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")  # and only one
    assert _filename(response) == "参学统计_中共青川县委_2026年下半年.csv"
    assert "龙泉镇党委" in response.data.decode("utf-8-sig")


def test_a_running_period_shows_who_is_on_track_and_large_rolls_get_no_name_list(
        client: FlaskClient, tree: Tree, county_admin: Member,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("learning_app.reports.views.local_today", lambda: dt.date(2026, 12, 10))
    login(client, county_admin)
    html = page(client, f"/app/reports/?org={tree['QC'].id}&period=2026-H2")
    # 5 on the roll, 3 behind the target to date (see test_reports.py): 2 on track.
    assert tile(tiles_of(html), "学时达标率") == (
        "40.0% 达标 2 / 应学 5（按全期目标）；按至今进度达标 2 人")
    assert "以下 3 名党员期内学时低于折算目标" in section(html, "督学提醒")
    monkeypatch.setattr("learning_app.reports.views.REMINDER_MAX_ROLL", 4)
    html = page(client, f"/app/reports/?org={tree['QC'].id}&period=2026-H2")
    assert "本级应学党员超过 4 人，名单请进入县级及以下组织查看" in section(html, "督学提醒")
    assert "按至今进度" not in tiles_of(html)


def test_only_xlsx_and_csv_are_exported(client: FlaskClient, tree: Tree,
                                        county_admin: Member) -> None:
    login(client, county_admin)
    assert client.get(f"/app/reports/export.pdf?org={tree['QC'].id}").status_code == 404
