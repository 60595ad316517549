"""The participation export (XLSX, CSV) and the ``flask report`` commands.

The ``county`` fixture (tests/app/conftest.py), whose 2026-H2 figures were
computed by hand in tests/app/test_reports.py: on the roll 5, exempt 1,
participants 4, attained 2, eligible 5, submitted 2, passed 1, 57 hours.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.models import Member, Organization, ReportPeriod
from learning_app.reports.export import csv_text, level_name, xlsx_bytes
from learning_app.reports.figures import report, subtree_counts
from learning_app.reports.participation import DEFINITIONS, Counts
from tests.app.conftest import Tree
from tests.app.report_helpers import AFTER, credit

HEADERS = ["组织代码", "组织名称", "上级组织", "应学人数", "免学人数", "参学人数", "参学率",
           "学时达标人数", "学时达标率", "学时合计", "人均学时", "应参考人次", "已交卷人次",
           "参考率", "合格人次", "合格率"]
COUNT_COLUMNS = ["应学人数", "免学人数", "参学人数", "学时达标人数", "应参考人次", "已交卷人次",
                 "合格人次"]
RATE_COLUMNS = ["参学率", "学时达标率", "参考率", "合格率"]


def rows_of(sheet: object) -> list[dict[str, object]]:
    """Data rows (below the title and header rows) by header."""
    values = list(sheet.iter_rows(min_row=3, values_only=True))  # type: ignore[attr-defined]
    return [dict(zip(HEADERS, row, strict=True)) for row in values]


def test_the_workbook_has_a_sheet_per_level_with_the_hand_computed_figures(
        tree: Tree, county: dict[str, Member]) -> None:
    book = load_workbook(io.BytesIO(xlsx_bytes(db.session, tree["QC"], "2026-H2",
                                               today=AFTER)))
    assert book.sheetnames == ["县级汇总", "乡镇（部门）", "村级", "指标说明"]
    top = book["县级汇总"]
    title = top["A1"].value
    assert "中共青川县委" in title and "2026年下半年" in title and "统计截至 2026-12-31" in title
    assert [c.value for c in top[2]] == HEADERS
    assert top.freeze_panes == "C3"
    assert top.column_dimensions["B"].width >= 14
    (qc,) = rows_of(top)  # the top sheet: the county alone, no total row
    assert qc == {
        "组织代码": "QC", "组织名称": "中共青川县委", "上级组织": None, "应学人数": 5,
        "免学人数": 1, "参学人数": 4, "参学率": 0.8, "学时达标人数": 2, "学时达标率": 0.4,
        "学时合计": 57, "人均学时": 11.4, "应参考人次": 5, "已交卷人次": 2, "参考率": 0.4,
        "合格人次": 1, "合格率": 0.5}
    formats = {header: top.cell(row=3, column=n).number_format
               for n, header in enumerate(HEADERS, start=1)}
    assert all(formats[h] == "0.0%" for h in RATE_COLUMNS)
    assert formats["学时合计"] == formats["人均学时"] == "0.00"


def test_each_lower_level_ends_with_a_total_recomputed_from_the_sums(
        tree: Tree, county: dict[str, Member]) -> None:
    book = load_workbook(io.BytesIO(xlsx_bytes(db.session, tree["QC"], "2026-H2",
                                               today=AFTER)))
    *townships, total = rows_of(book["乡镇（部门）"])
    assert [(r["组织代码"], r["上级组织"]) for r in townships] == [
        ("QC-D-RS", "中共青川县委"), ("QC-LQ", "中共青川县委"), ("QC-SQ", "中共青川县委")]
    assert (total["组织代码"], total["组织名称"]) == (None, "合计")
    for column in [*COUNT_COLUMNS, "学时合计"]:
        assert total[column] == sum(r[column] for r in townships), column  # type: ignore[misc]
    # Nobody counts in the county committee itself: the total is the county's row.
    (qc,) = rows_of(book["县级汇总"])
    assert {h: total[h] for h in HEADERS[3:]} == {h: qc[h] for h in HEADERS[3:]}
    # 龙泉镇 3/3 and 石桥乡 1/2 take part: 4/5 = 80%, not the rates' mean of 75%.
    lq, sq = townships[1], townships[2]
    assert (lq["参学率"], sq["参学率"], total["参学率"]) == (1.0, 0.5, 0.8)
    assert townships[0]["应学人数"] == 0 and all(  # 县人社局: nobody, so no rates
        townships[0][h] is None for h in [*RATE_COLUMNS, "人均学时"])
    sheet = book["乡镇（部门）"]
    assert sheet.cell(row=sheet.max_row, column=HEADERS.index("合格率") + 1
                      ).number_format == "0.0%"
    *villages, village_total = rows_of(book["村级"])
    assert [(r["组织代码"], r["上级组织"]) for r in villages] == [
        ("QC-LQ-01", "龙泉镇党委"), ("QC-LQ-02", "龙泉镇党委"),
        ("QC-SQ-01", "石桥乡党委"), ("QC-SQ-02", "石桥乡党委")]
    assert villages[0]["学时合计"] == 47 and villages[0]["应学人数"] == 2
    for column in [*COUNT_COLUMNS, "学时合计"]:
        assert village_total[column] == sum(r[column] for r in villages)  # type: ignore[misc]
    assert village_total["合格率"] == 0.5


def test_the_notes_sheet_states_every_definition_and_the_period(
        tree: Tree, county: dict[str, Member]) -> None:
    book = load_workbook(io.BytesIO(xlsx_bytes(db.session, tree["QC"], "2026-H2",
                                               today=AFTER)))
    notes = {row[0]: row[1] for row in book["指标说明"].iter_rows(values_only=True) if row[0]}
    for name, text in DEFINITIONS:
        assert notes[name] == text
    assert "2026年下半年" in notes["统计期间"] and "2026-07-01" in notes["统计期间"]
    assert notes["统计截至"] == "2026-12-31"
    assert notes["生成时间"]


def test_a_township_export_starts_at_the_township(tree: Tree,
                                                  county: dict[str, Member]) -> None:
    book = load_workbook(io.BytesIO(xlsx_bytes(db.session, tree["QC-LQ"], "2026-H2",
                                               today=AFTER)))
    assert book.sheetnames == ["乡镇汇总", "村级", "指标说明"]
    (lq,) = rows_of(book["乡镇汇总"])
    assert (lq["组织代码"], lq["上级组织"], lq["应学人数"]) == ("QC-LQ", "中共青川县委", 3)


def test_sheet_names_follow_the_kinds_present() -> None:
    def rows(*kinds: str) -> list[tuple[Organization, None, Counts]]:
        return [(Organization(code=f"X{n}", name=f"X{n}", kind=kind), None, Counts())
                for n, kind in enumerate(kinds)]

    assert level_name(0, rows("county")) == "县级汇总"
    assert level_name(1, rows("township", "department", "urban_rural")) == "乡镇（部门）"
    assert level_name(2, rows("community", "village", "village")) == "村（社区）"
    assert level_name(2, rows("village", "community", "branch", "community")) == (
        "社区（村、党支部）")
    assert level_name(2, rows("village")) == "村级"


def test_the_csv_is_flat_with_a_level_column_and_percentages(
        tree: Tree, county: dict[str, Member]) -> None:
    text = csv_text(db.session, tree["QC"], "2026-H2", today=AFTER)
    assert not text.startswith("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == ["层级", *HEADERS]
    rows = list(reader)
    assert [(r["层级"], r["组织代码"]) for r in rows] == [
        ("县级汇总", "QC"), ("乡镇（部门）", "QC-D-RS"), ("乡镇（部门）", "QC-LQ"),
        ("乡镇（部门）", "QC-SQ"), ("村级", "QC-LQ-01"), ("村级", "QC-LQ-02"),
        ("村级", "QC-SQ-01"), ("村级", "QC-SQ-02")]
    qc = rows[0]
    assert {h: qc[h] for h in HEADERS[2:]} == {
        "上级组织": "", "应学人数": "5", "免学人数": "1", "参学人数": "4", "参学率": "80.0%",
        "学时达标人数": "2", "学时达标率": "40.0%", "学时合计": "57.00", "人均学时": "11.40",
        "应参考人次": "5", "已交卷人次": "2", "参考率": "40.0%", "合格人次": "1",
        "合格率": "50.0%"}
    department = rows[1]
    assert department["参学率"] == department["人均学时"] == department["合格率"] == ""


# -- the commands (today is the real date here) ---------------------------------------------

def run(app: Flask, *args: str) -> object:
    return app.test_cli_runner().invoke(args=["report", *args])


def test_the_command_writes_an_xlsx_that_opens(app: Flask, tree: Tree,
                                               county: dict[str, Member], tmp_path: Path
                                               ) -> None:
    target = tmp_path / "青川县.xlsx"
    result = run(app, "participation", "--org", "QC", "--period", "2026-H2", "--format",
                 "xlsx", "-o", str(target))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left over
    figures = report(db.session, tree["QC"], "2026-H2").figures
    (qc,) = rows_of(load_workbook(target)["县级汇总"])
    assert (qc["应学人数"], qc["参学人数"], qc["学时合计"]) == (
        figures.counts.on_roll, figures.counts.participants, float(figures.counts.hours))
    output = result.output  # type: ignore[attr-defined]
    assert "中共青川县委（QC）2026年下半年" in output
    assert f"应学人数 {figures.counts.on_roll}" in output and "参学率" in output
    assert str(target) in output


def test_the_command_writes_csv_with_a_bom_or_to_stdout(app: Flask, tree: Tree,
                                                        county: dict[str, Member],
                                                        tmp_path: Path) -> None:
    target = tmp_path / "qc.csv"  # the format follows the name
    result = run(app, "participation", "--org", "QC", "--period", "2026-11", "-o", str(target))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    raw = target.read_bytes()
    expected = csv_text(db.session, tree["QC"], "2026-11")
    assert raw.startswith("\ufeff".encode()) and raw.decode("utf-8-sig") == expected
    result = run(app, "participation", "--org", "QC-LQ", "--period", "2026-11", "-o", "-")
    assert result.exit_code == 0  # type: ignore[attr-defined]
    expected = csv_text(db.session, tree["QC-LQ"], "2026-11")
    # The runner's stdout reads "\r\n" as "\n".
    assert result.stdout == expected.replace("\r\n", "\n")  # type: ignore[attr-defined]
    assert "龙泉镇党委（QC-LQ）" in result.stderr  # type: ignore[attr-defined]


@pytest.mark.parametrize(("org", "period", "message"), [
    ("NOPE", "2026-H2", "没有组织代码 NOPE"),
    ("QC", "2026-H3", "期间“2026-H3”格式不对"),
])
def test_a_bad_org_or_period_writes_nothing(app: Flask, tree: Tree, tmp_path: Path, org: str,
                                            period: str, message: str) -> None:
    result = run(app, "participation", "--org", org, "--period", period, "-o",
                 str(tmp_path / "out.xlsx"))
    assert result.exit_code != 0  # type: ignore[attr-defined]
    assert message in result.output  # type: ignore[attr-defined]
    assert list(tmp_path.iterdir()) == []


def test_a_failure_leaves_the_old_file_and_no_temporary_one(
        app: Flask, tree: Tree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"old")

    def broken_replace(src: str, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("learning_app.reports.cli.os.replace", broken_replace)
    result = run(app, "participation", "--org", "QC", "--period", "2026-H2", "-o", str(target))
    assert result.exit_code != 0  # type: ignore[attr-defined]
    assert list(tmp_path.iterdir()) == [target] and target.read_bytes() == b"old"


def test_build_and_refresh(app: Flask, tree: Tree, county: dict[str, Member]) -> None:
    result = run(app, "build", "--period", "2026-H2", "--period", "bad")
    assert result.exit_code != 0 and "格式不对" in result.output  # type: ignore[attr-defined]
    assert db.session.scalar(select(func.count()).select_from(ReportPeriod)) == 0
    result = run(app, "build", "--period", "2026-H2", "--period", "2026-11")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "2026-H2（2026年下半年）：已重建" in result.output  # type: ignore[attr-defined]
    assert "2026-11（2026年11月）：已重建" in result.output  # type: ignore[attr-defined]
    assert set(db.session.scalars(select(ReportPeriod.key))) == {"2026-H2", "2026-11"}
    run(app, "refresh")  # the fixture's own changes are still marked
    assert "已刷新 0 名" in run(app, "refresh").output  # type: ignore[attr-defined]
    before = subtree_counts(db.session, tree["QC-SQ-01"], "2026-H2")
    credit(county["g"], "QC-SQ-01", tree, "2026-11-20", "6", "g-nov")
    result = run(app, "refresh")
    assert result.exit_code == 0 and "已刷新 1 名党员" in result.output  # type: ignore[attr-defined]
    after = subtree_counts(db.session, tree["QC-SQ-01"], "2026-H2")
    assert after - before == Counts(participants=1, hours=Decimal("6.00"))
    assert subtree_counts(db.session, tree["QC-SQ-01"], "2026-11").hours == Decimal("11.00")

