"""Participation figures as files: the XLSX a county organization department files, and CSV.

The workbook has one sheet per level (the organization, its children, its
grandchildren), each with a title row, Chinese headers, rates as real numbers
formatted ``0.0%`` (empty when there is nobody to count) and, below the top,
a total row whose rates are recomputed from the summed counts. A last sheet
"指标说明" states the definitions, the period and when the file was made.
The CSV is the same rows flat, with a 层级 column and no total rows (they
would be counted twice by whoever sums the file).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from learning_app.models import Organization
from learning_app.models.types import TZ
from learning_app.reports.figures import Report, levels, report
from learning_app.reports.participation import DEFINITIONS, Counts, Figures, percent
from learning_app.spreadsheet import safe_cell

Row = tuple[Organization, Organization | None, Counts]

# How each kind is called when naming a level's sheet; both township kinds are 乡镇.
KIND_GROUPS = {"county": "县级", "township": "乡镇", "urban_rural": "乡镇", "department": "部门",
               "village": "村", "community": "社区", "general_branch": "党总支",
               "branch": "党支部"}
GROUP_ORDER = ["县级", "乡镇", "部门", "村", "社区", "党总支", "党支部"]
NOTES_SHEET = "指标说明"
FORBIDDEN_IN_SHEET_NAMES = str.maketrans("", "", "[]:*?/\\")


@dataclass(frozen=True)
class Column:
    header: str
    kind: str  # text, count, rate or hours: decides the cell format
    value: Callable[[Organization | None, Organization | None, Figures], object]
    width: int = 11


def _name(org: Organization | None) -> str:
    return org.name if org is not None else ""


COLUMNS = [
    Column("组织代码", "text", lambda o, p, f: o.code if o else "", 14),
    Column("组织名称", "text", lambda o, p, f: o.name if o else "合计", 24),
    Column("上级组织", "text", lambda o, p, f: _name(p), 20),
    Column("应学人数", "count", lambda o, p, f: f.counts.on_roll),
    Column("免学人数", "count", lambda o, p, f: f.counts.exempt),
    Column("参学人数", "count", lambda o, p, f: f.counts.participants),
    Column("参学率", "rate", lambda o, p, f: f.participation),
    Column("学时达标人数", "count", lambda o, p, f: f.counts.attained, 13),
    Column("学时达标率", "rate", lambda o, p, f: f.attainment, 12),
    Column("学时合计", "hours", lambda o, p, f: f.counts.hours),
    Column("人均学时", "hours", lambda o, p, f: f.hours_per_member),
    Column("应参考人次", "count", lambda o, p, f: f.counts.eligible, 12),
    Column("已交卷人次", "count", lambda o, p, f: f.counts.submitted, 12),
    Column("参考率", "rate", lambda o, p, f: f.test_rate),
    Column("合格人次", "count", lambda o, p, f: f.counts.passed),
    Column("合格率", "rate", lambda o, p, f: f.pass_rate),
]
HEADERS = [c.header for c in COLUMNS]
NUMBER_FORMATS = {"count": "0", "rate": "0.0%", "hours": "0.00"}


@dataclass
class Level:
    name: str  # the sheet's name, also the CSV's 层级
    rows: list[Row]

    @property
    def total(self) -> Counts:
        return sum((counts for _, _, counts in self.rows), Counts())


@dataclass
class ExportData:
    report: Report
    levels: list[Level]
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(TZ))


def _group(org: Organization) -> str:
    return KIND_GROUPS.get(org.kind, org.kind_label)


def level_name(depth: int, rows: list[Row]) -> str:
    """"县级汇总" for the organization itself; below it the kinds present, the most
    common first: "乡镇（部门）", "村（社区）", or "村级" when there is one kind."""
    if depth == 0:
        return f"{_group(rows[0][0])}汇总"
    seen = Counter(_group(org) for org, _, _ in rows)
    order = sorted(seen, key=lambda g: (-seen[g], GROUP_ORDER.index(g)
                                        if g in GROUP_ORDER else len(GROUP_ORDER), g))
    if len(order) == 1:
        return order[0] if order[0].endswith("级") else f"{order[0]}级"
    return f"{order[0]}（{'、'.join(order[1:])}）"


def _sheet_names(raw: list[str]) -> list[str]:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique (case-insensitively)."""
    names: list[str] = []
    used = {NOTES_SHEET}
    for depth, name in enumerate(raw):
        name = name.translate(FORBIDDEN_IN_SHEET_NAMES)[:31] or f"第{depth + 1}级"
        if name in used:
            name = f"{name[:26]}（第{depth + 1}级）"
        used.add(name)
        names.append(name)
    return names


def export_data(session: Session, org: Organization, key: str,
                today: dt.date | None = None) -> ExportData:
    """Bring the rollups up to date (``report``), then read the three levels."""
    current = report(session, org, key, today=today, with_months=False)
    found = levels(session, org, current.period.key)
    names = _sheet_names([level_name(depth, rows) for depth, rows in enumerate(found)])
    return ExportData(current, [Level(n, rows) for n, rows in zip(names, found, strict=True)])


def _values(org: Organization | None, parent: Organization | None, counts: Counts
            ) -> list[object]:
    figures = Figures(counts)
    return [c.value(org, parent, figures) for c in COLUMNS]


def _parent(depth: int, org: Organization, parent: Organization | None
            ) -> Organization | None:
    # levels() gives no parent for the top; its real parent still says where it sits.
    return org.parent if depth == 0 else parent


def safe_row(values: list[object]) -> list[object]:
    return [safe_cell(value) for value in values]


def _append(sheet: Worksheet, values: list[object]) -> None:
    """Every row goes out through ``safe_cell``: names can't become formulas."""
    sheet.append(safe_row(values))


def _excel(value: object) -> object:
    if value == "":
        return None  # a truly empty cell, not an empty string
    return float(value) if isinstance(value, Decimal) else value


THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="F2DCDB")


def _level_sheet(sheet: Worksheet, data: ExportData, depth: int, level: Level) -> None:
    current = data.report
    title = (f"{current.org.name}{current.period.label}参学情况统计（{level.name}）"
             f"  统计截至 {current.as_of:%Y-%m-%d}")
    _append(sheet, [title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 28
    _append(sheet, HEADERS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    lines = [_values(org, _parent(depth, org, parent), counts)
             for org, parent, counts in level.rows]
    if depth > 0:
        lines.append(_values(None, None, level.total))
    for line in lines:
        _append(sheet, [_excel(v) for v in line])
    last = sheet.max_row
    for row in sheet.iter_rows(min_row=2, max_row=last):
        for column, cell in zip(COLUMNS, row, strict=True):
            cell.border = BORDER
            if cell.row > 2 and column.kind in NUMBER_FORMATS:
                cell.number_format = NUMBER_FORMATS[column.kind]
    if depth > 0:
        for cell in sheet[last]:
            cell.font = Font(bold=True)
    for index, column in enumerate(COLUMNS, start=1):
        width = column.width
        if column.kind == "text":  # CJK characters are about two columns wide
            widest = max((_display_width(str(line[index - 1] or "")) for line in lines),
                         default=0)
            width = min(40, max(width, widest + 2))
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "C3"  # title and headers stay, and so do code and name
    sheet.print_title_rows = "1:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _notes_sheet(sheet: Worksheet, data: ExportData) -> None:
    current = data.report
    period = current.period
    _append(sheet, [NOTES_SHEET])
    sheet["A1"].font = Font(bold=True, size=14)
    _append(sheet, ["指标", "口径"])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for name, text in DEFINITIONS:
        _append(sheet, [name, text])
    _append(sheet, [])
    _append(sheet, ["统计范围", f"{current.org.name}（{current.org.code}）及其下级组织"])
    _append(sheet, ["统计期间", f"{period.label}（{period.start:%Y-%m-%d} 至 "
                              f"{period.end:%Y-%m-%d}，期间代码 {period.key}）"])
    _append(sheet, ["统计截至", f"{current.as_of:%Y-%m-%d}"])
    _append(sheet, ["生成时间", f"{data.generated_at.astimezone(TZ):%Y-%m-%d %H:%M}"])
    _append(sheet, ["填表说明", "分母为 0 的比率留空；各表合计行的比率由合计数重新计算，"
                              "不是各行比率的平均。"])
    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 90
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def render_xlsx(data: ExportData) -> bytes:
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    for depth, level in enumerate(data.levels):
        sheet = first if depth == 0 else workbook.create_sheet()
        sheet.title = level.name
        _level_sheet(sheet, data, depth, level)
    _notes_sheet(workbook.create_sheet(NOTES_SHEET), data)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv(kind: str, value: object) -> str:
    if value is None:
        return ""
    if kind == "rate":
        return percent(value)  # type: ignore[arg-type]
    if kind == "hours":
        return f"{Decimal(str(value)):.2f}"
    return str(value)


def render_csv(data: ExportData) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(safe_row(["层级", *HEADERS]))
    for depth, level in enumerate(data.levels):
        for org, parent, counts in level.rows:
            line = _values(org, _parent(depth, org, parent), counts)
            writer.writerow(safe_row([level.name, *(_csv(c.kind, v)
                                                   for c, v in zip(COLUMNS, line,
                                                                   strict=True))]))
    return buffer.getvalue()


def xlsx_bytes(session: Session, org: Organization, key: str,
               today: dt.date | None = None) -> bytes:
    return render_xlsx(export_data(session, org, key, today))


def csv_text(session: Session, org: Organization, key: str, today: dt.date | None = None
             ) -> str:
    """The CSV without a BOM: downloads prepend one, the CLI writes utf-8-sig."""
    return render_csv(export_data(session, org, key, today))


__all__ = ["COLUMNS", "HEADERS", "NOTES_SHEET", "ExportData", "Level", "csv_text",
           "export_data", "level_name", "render_csv", "render_xlsx", "xlsx_bytes"]
