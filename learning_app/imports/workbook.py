"""The downloadable XLSX templates: header, one example row, and a 说明 sheet."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from learning_app.imports.spec import COLUMNS, KINDS, M_CATEGORY, M_STATUS, ORG_KIND
from learning_app.models.members import CATEGORIES, STATUSES
from learning_app.models.orgs import ORG_KINDS

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHOICES: dict[str, dict[str, list[str]]] = {
    "orgs": {ORG_KIND: list(ORG_KINDS.values())},
    "members": {M_CATEGORY: list(CATEGORIES.values()), M_STATUS: list(STATUSES.values())},
}
GENERAL_NOTES = (
    "第一行是表头，请不要改动列名；从第二行起每行一条。选填的列可以整列删去，删去的列导入时保持原值。",
    "整个文件检查无误才会导入；任何一行有问题，都不会写入任何数据，并列出所有问题所在的行和列。",
    "按编码识别：已有的编码会被更新，新的编码会被新增；重复导入同一文件不会产生变化。",
    "也可以另存为 CSV（UTF-8 或 GBK 编码均可）后导入。",
)


def template_workbook(kind: str) -> bytes:
    columns = COLUMNS[kind]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = KINDS[kind]
    sheet.append([column.name for column in columns])
    sheet.append([column.example for column in columns])
    for index, column in enumerate(columns, start=1):
        sheet.cell(row=1, column=index).font = Font(bold=True)
        # Text cells: Excel would otherwise turn codes and phones into numbers.
        sheet.cell(row=2, column=index).number_format = "@"
        sheet.column_dimensions[get_column_letter(index)].width = max(12, 2 * len(column.name) + 4)
    sheet.freeze_panes = "A2"

    notes = book.create_sheet("说明")
    notes.append(["列名", "是否必填", "含义", "允许的值"])
    for column in columns:
        notes.append([column.name, "必填" if column.required else "选填", column.meaning,
                      column.allowed])
    notes.append([])
    notes.append(["可选值"])
    for name, values in CHOICES[kind].items():
        notes.append([name, *values])
    notes.append([])
    for line in GENERAL_NOTES:
        notes.append([line])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCD", (14, 10, 44, 56), strict=True):
        notes.column_dimensions[letter].width = width

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
