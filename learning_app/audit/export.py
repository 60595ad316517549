"""The audit log as an XLSX file: the filtered events, every cell through ``safe_cell``.

A name is whatever an import or a sign-in form let through (``=HYPERLINK(…)``
included), so every text goes out neutralised; the workbook is written in
openpyxl's streaming mode so that a long log does not sit in memory as cells.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from openpyxl import Workbook

from learning_app.audit.query import view
from learning_app.models import AuditEvent
from learning_app.spreadsheet import safe_cell

HEADERS = ["时间（北京时间）", "操作", "操作人", "对象", "来源地址", "变更内容", "说明"]
WIDTHS = [20, 18, 24, 28, 16, 60, 40]
EXPORT_LIMIT = 100_000  # a year of a county's events; a narrower filter gets the rest


def render_xlsx(events: Iterable[AuditEvent]) -> tuple[bytes, int]:
    """The workbook and how many events it holds."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("审计日志")
    for index, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([safe_cell(text) for text in HEADERS])
    rows = 0
    for event in events:
        shown = view(event)
        sheet.append([safe_cell(value) for value in (
            shown.at, shown.action, shown.actor, shown.target, shown.address,
            "；".join(shown.changes), shown.detail)])
        rows += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), rows
