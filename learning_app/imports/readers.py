"""Read an uploaded spreadsheet (CSV or XLSX) into rows of stripped text.

Clerks export from Excel or WPS: CSV comes as UTF-8 (often with a BOM) or
as GB18030/GBK, XLSX as numbers and dates where they typed text. Everything
is turned into plain strings here so the validators see one shape.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from learning_app.errors import RowProblem, SheetRejected
from learning_app.imports.limits import (
    MAX_UPLOAD_BYTES,
    Deadline,
    FileLimits,
    megabytes,
    rejected,
)
from learning_app.imports.xlsx_guard import NOT_XLSX, too_many_columns, too_many_rows, xlsx_rows
from learning_app.spreadsheet import has_cell_control

ZIP_MAGIC = b"PK"  # an XLSX is a zip (PK\x03\x04, or an empty or odd one: PK\x05\x06 …)
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls / .et, and password-protected .xlsx
CHUNK = 1024 * 1024


class CellTooLong(Exception):
    """A cell over the limit, found where the header's names aren't known."""

    def __init__(self, row: int, index: int, limit: int) -> None:
        super().__init__(row, index, limit)
        self.row, self.index, self.limit = row, index, limit


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


def read_path(path: Path, *, limits: FileLimits | None = None,
              keep: Collection[str] | None = None) -> Table:
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise too_big(size)
    return read_table(path.read_bytes(), path.name, limits=limits, keep=keep)


def too_big(size: int) -> SheetRejected:
    return rejected(f"文件有{megabytes(size)}，超过上限{megabytes(MAX_UPLOAD_BYTES)}；"
                    "请分成几个文件导入")


def read_table(data: bytes, filename: str = "", *, limits: FileLimits | None = None,
               keep: Collection[str] | None = None) -> Table:
    """Parse CSV or XLSX, told apart by content first (uploads keep odd names).

    Bounded by ``limits`` (rows, blank ones included; columns; cell size; for
    XLSX the unpacked size and more, see ``xlsx_guard``; and time), so a
    hostile file is refused in seconds. ``keep``: the only columns whose
    values are kept (the import's own), so unknown columns cost no memory.
    """
    limits = limits or FileLimits()
    deadline = Deadline(limits.seconds)
    name = filename.lower()
    if len(data) > MAX_UPLOAD_BYTES:
        raise too_big(len(data))
    if data.startswith(OLE_MAGIC) or name.endswith((".xls", ".et")):
        raise rejected("不支持旧版 .xls 格式，也不支持设置了打开密码的表格；请在 Excel/WPS 中"
                       "去掉密码，另存为 .xlsx 或 CSV")
    if data.startswith(ZIP_MAGIC):
        return _table(xlsx_rows(data, limits, deadline), limits, deadline, keep)
    if name.endswith(".xlsx"):
        raise rejected(NOT_XLSX)  # the same advice as a broken zip gets
    return _table(_csv_records(data, limits), limits, deadline, keep)


def csv_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes strictly, else GB18030.

    GB18030 is a superset of GBK and GB2312, which is what Excel and WPS
    write for "CSV" on a Chinese Windows. Checked piecewise, so that a
    40 MB file is never held twice as text.
    """
    view = memoryview(data)
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(view), CHUNK):
                decoder.decode(view[start:start + CHUNK])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise rejected("无法识别文件编码，请保存为 UTF-8 或 GBK 编码的 CSV")


def _text_stream(data: bytes, encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")


def _csv_records(data: bytes, limits: FileLimits) -> Iterator[tuple[int, list[Any]]]:
    # Counting records, not physical lines: a quoted cell may span lines,
    # and the spreadsheet shows it as one row.
    encoding = csv_encoding(data)
    reader = csv.reader(_text_stream(data, encoding))
    number = lines_before = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise _csv_refusal(data, encoding, number + 1, lines_before) from None
        number += 1
        lines_before = reader.line_num
        if len(record) > limits.max_columns:
            raise too_many_columns(limits, number)
        yield number, record


def _csv_refusal(data: bytes, encoding: str, row: int, lines_before: int) -> Exception:
    """The csv module stops at a cell over its limit (128 KB) without saying which:
    find the column by reading that one record again, by hand."""
    limit = csv.field_size_limit()
    column = _oversized_field(_text_stream(data, encoding), lines_before, limit)
    if column is None:
        return rejected("这一行无法按 CSV 格式读取，请在 Excel/WPS 中重新另存为 CSV", row=row)
    return CellTooLong(row, column, limit)


def too_long(limit: int) -> str:
    return f"这一格超过{limit // 1024}KB，请检查是否粘贴了多余的内容"


def _oversized_field(stream: io.TextIOWrapper, lines_before: int, limit: int) -> int | None:
    """The index of the first field longer than ``limit`` in the record that starts
    after ``lines_before`` lines, read with the csv module's default (excel) rules."""
    for _ in range(lines_before):
        stream.readline()
    column = length = 0
    state = "start"  # start of a field | plain | quoted | quote (a quote inside quotes)
    while block := stream.read(CHUNK):
        for char in block:
            if state == "quoted":
                if char == '"':
                    state = "quote"
                    continue
                length += 1
            elif state == "quote" and char == '"':  # a doubled quote: one literal quote
                state = "quoted"
                length += 1
            elif char == ",":
                column, length, state = column + 1, 0, "start"
                continue
            elif char in "\r\n":
                return None  # the record ended without an oversized field
            elif state == "start" and char == '"':
                state = "quoted"
                continue
            else:  # plain text, or text after a closing quote (kept, as csv does)
                state = "plain"
                length += 1
            if length > limit:
                return column
    return None


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


def _texts(number: int, record: list[Any], limits: FileLimits) -> list[str]:
    """The record's cells as text; a cell too long to be a roster value is refused."""
    texts = [cell_text(value) for value in record]
    for index, text in enumerate(texts):
        if len(text) > limits.max_cell_chars:
            raise CellTooLong(number, index, limits.max_cell_chars)
    return texts


def _table(records: Iterable[tuple[int, list[Any]]], limits: FileLimits, deadline: Deadline,
           keep: Collection[str] | None = None) -> Table:
    names: dict[int, str] = {}
    try:
        return _read_rows(iter(records), limits, deadline, keep, names)
    except CellTooLong as cell:
        # Named by its header once the header is known: 第R行 姓名：这一格超过128KB
        column = names.get(cell.index) or f"第{cell.index + 1}列"
        raise SheetRejected([RowProblem(cell.row, column, too_long(cell.limit))]) from None


def _read_rows(iterator: Iterator[tuple[int, list[Any]]], limits: FileLimits,
               deadline: Deadline, keep: Collection[str] | None,
               names: dict[int, str]) -> Table:
    header: list[str] | None = None
    header_row = 1
    for number, record in iterator:
        if number > limits.max_rows:
            raise too_many_rows(limits, number)
        texts = _texts(number, record, limits)
        if any(texts):  # blank lines above the header are skipped
            header, header_row = texts, number
            break
    if header is None:
        raise rejected("文件是空的，没有表头")
    if any(has_cell_control(name) for name in header):
        raise rejected("表头含有看不见的控制字符，请删去后重新导入", "表头", header_row)
    positions = _header_positions(header, header_row)
    table = Table(columns=[name for name, _ in positions], header_row=header_row)
    kept = [(name, index) for name, index in positions if keep is None or name in keep]
    names.update((index, name) for name, index in positions)
    for number, record in iterator:
        # Every row counts, blank ones too: five million empty rows are no roster.
        if number > limits.max_rows:
            raise too_many_rows(limits, number)
        if number % 1000 == 0:
            deadline.check()
        texts = _texts(number, record, limits)
        if not any(texts):
            continue
        values = {name: texts[index] if index < len(texts) else "" for name, index in kept}
        controls = [RowProblem(number, name, "含有看不见的控制字符，请删去后重新导入")
                    for name, text in values.items() if has_cell_control(text)]
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
