"""How much an uploaded table may hold, and how long reading it may take.

Sized from the real need: a county's whole roll is 100,000 members, which
bench/import_members.py writes as a 4.8 MB XLSX whose sheet unpacks to 42 MB
(8 columns, 450 bytes a row) or as a 9 MB CSV. Every limit
below leaves that file at least twice the room, and stops a hostile file
(a zip bomb, a shared-strings bomb, millions of blank rows) within seconds
and within a few hundred MB, long before a worker's timeout.

A deployment may change any of them with ``IMPORT_LIMITS`` in the app
config (a dict of field names to values); the 题库 sheets use their own
smaller set (``quiz.excel.BANK_LIMITS``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from learning_app.errors import RowProblem, SheetRejected

MB = 1024 * 1024
MAX_UPLOAD_BYTES = 40 * MB  # the file as uploaded; a 100,000-member XLSX is about 5 MB


@dataclass(frozen=True)
class FileLimits:
    max_rows: int = 200_000  # every row counts, blank ones too (header included)
    max_columns: int = 100  # a roster has 9 columns; spare room for notes
    max_cell_chars: int = 128 * 1024  # one cell; also the csv module's own limit
    max_entries: int = 500  # parts in the zip; Excel writes about 10
    max_total_bytes: int = 256 * MB  # all parts unpacked
    max_sheet_bytes: int = 160 * MB  # one worksheet's XML unpacked
    max_row_bytes: int = 1 * MB  # one row's XML (openpyxl builds a row whole); real: 450 B
    max_sheet_extra_bytes: int = 4 * MB  # a sheet's XML outside its rows (merged cells, links)
    max_strings_bytes: int = 48 * MB  # the shared-strings table unpacked
    max_strings: int = 500_000  # entries in it (about 5 per member at most)
    max_part_bytes: int = 8 * MB  # any other part: styles, theme, drawings, media
    max_ratio: int = 100  # unpacked / packed, for parts of ratio_floor_bytes and more
    ratio_floor_bytes: int = 1 * MB  # small parts (styles) legitimately pack far better
    # Reading and parsing, wall clock; None for the command line. Under a worker's
    # timeout (gunicorn's default 30 s), so that a refusal, not a killed worker, answers.
    # A 100,000-member XLSX reads in about 5 s on an idle core (XLSX is slow to parse).
    seconds: float | None = 25.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **changes: Any) -> FileLimits:
        """The defaults, overridden by ``IMPORT_LIMITS`` in the app config, then ``changes``."""
        known = {field.name for field in fields(cls)}
        overrides = {key: value for key, value in (config.get("IMPORT_LIMITS") or {}).items()
                     if key in known}
        return replace(cls(), **overrides, **changes)


def rejected(message: str, column: str = "文件", row: int = 1) -> SheetRejected:
    """A whole file refused: one problem, on row 1 unless a row is to blame."""
    return SheetRejected([RowProblem(row, column, message)])


def megabytes(size: int) -> str:
    return f"{round(size / MB, 1):g}MB"


class Deadline:
    """The time budget of one read; ``check`` is called often and is cheap."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.at = None if seconds is None else time.monotonic() + seconds

    def check(self) -> None:
        if self.at is not None and time.monotonic() > self.at:
            raise rejected(f"文件过于复杂，读取超过{self.seconds:g}秒仍未完成，已停止；"
                           "请删去多余的空行、空列和格式，或分成几个较小的文件导入")
