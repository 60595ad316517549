"""Read an uploaded spreadsheet (CSV or XLSX) into rows of stripped text.

Clerks export from Excel or WPS: CSV comes as UTF-8 (often with a BOM) or
as GB18030/GBK, XLSX as numbers and dates where they typed text. Everything
is turned into plain strings here so the validators see one shape.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from learning_app.errors import RowProblem, SheetRejected
from learning_app.spreadsheet import has_control

# A county's whole roll is about 100,000 rows; far more is a mistake or a
# zip bomb, and would only fill the server's memory before being rejected.
MAX_ROWS = 500_000
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls / .et format


@dataclass
class Row:
    number: int  # spreadsheet row number (header = 1)
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class Table:
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    header_row: int = 1

    def has(self, column: str) -> bool:
        return column in self.columns


def rejected(message: str, column: str = "文件") -> SheetRejected:
    return SheetRejected([RowProblem(1, column, message)])


def read_path(path: Path) -> Table:
    return read_table(path.read_bytes(), path.name)


def read_table(data: bytes, filename: str = "") -> Table:
    """Parse CSV or XLSX, told apart by content first (uploads keep odd names)."""
    name = filename.lower()
    if data.startswith(OLE_MAGIC) or name.endswith((".xls", ".et")):
        raise rejected("不支持旧版 .xls 格式，请在 Excel/WPS 中另存为 .xlsx 或 CSV")
    if data.startswith(XLSX_MAGIC):
        return _table(_xlsx_records(data))
    if name.endswith(".xlsx"):
        raise rejected("文件不是有效的 .xlsx 表格")
    return _table(_csv_records(decode_csv(data)))


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes strictly, else GB18030.

    GB18030 is a superset of GBK and GB2312, which is what Excel and WPS
    write for "CSV" on a Chinese Windows.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise rejected("无法识别文件编码，请保存为 UTF-8 或 GBK 编码的 CSV") from None


def _csv_records(text: str) -> Iterator[tuple[int, list[Any]]]:
    # Counting records, not physical lines: a quoted cell may span lines,
    # and the spreadsheet shows it as one row.
    yield from enumerate(csv.reader(io.StringIO(text, newline="")), start=1)


def _xlsx_records(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    not_xlsx = "文件不是有效的 .xlsx 表格（可在 Excel/WPS 中打开后重新另存为 .xlsx）"
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a broken upload can fail in the zip, XML or openpyxl layers
        raise rejected(not_xlsx) from None
    try:
        if not workbook.worksheets:
            raise rejected("表格中没有工作表")
        sheet = workbook.worksheets[0]
        # Some writers store a wrong <dimension>; trusting it would cut rows off.
        sheet.reset_dimensions()  # type: ignore[union-attr]
        rows = sheet.iter_rows(min_row=1, min_col=1, values_only=True)
        yield from enumerate((list(row) for row in rows), start=1)
    except SheetRejected:
        raise
    except Exception:  # the sheet's XML is parsed lazily, row by row
        raise rejected(not_xlsx) from None
    finally:
        workbook.close()


def cell_text(value: Any) -> str:
    """A cell as the clerk meant it: 13900001111.0 is a phone, not a float."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    # str.strip also removes the full-width space (U+3000) pasted from Word.
    return str(value).replace("\ufeff", "").strip()


def _table(records: Iterable[tuple[int, list[Any]]]) -> Table:
    iterator = iter(records)
    header: list[str] | None = None
    header_row = 1
    for number, record in iterator:
        texts = [cell_text(value) for value in record]
        if any(texts):  # blank lines above the header are skipped
            header, header_row = texts, number
            break
    if header is None:
        raise rejected("文件是空的，没有表头")
    positions = _header_positions(header, header_row)
    table = Table(columns=[name for name, _ in positions], header_row=header_row)
    for number, record in iterator:
        texts = [cell_text(value) for value in record]
        if not any(texts):
            continue
        if len(table.rows) >= MAX_ROWS:
            raise rejected(f"超过{MAX_ROWS:,}行，请分成几个文件导入")
        values = {name: texts[index] if index < len(texts) else "" for name, index in positions}
        controls = [RowProblem(number, name, "含有看不见的控制字符，请删去后重新导入")
                    for name, text in values.items() if has_control(text)]
        if controls:
            raise SheetRejected(controls)
        table.rows.append(Row(number, values))
    return table


def _header_positions(header: list[str], row: int) -> list[tuple[str, int]]:
    seen: dict[str, int] = {}
    problems: list[RowProblem] = []
    for index, name in enumerate(header):
        if not name:
            continue  # unnamed columns (notes, leftovers) are ignored
        if name in seen:
            problems.append(RowProblem(row, name, "表头中这一列出现了两次"))
            continue
        seen[name] = index
    if problems:
        raise SheetRejected(problems)
    return list(seen.items())
