"""Checks shared by both imports: the header, and duplicate keys within the file."""

from __future__ import annotations

from learning_app.errors import RowProblem, SheetRejected
from learning_app.imports.readers import Table
from learning_app.imports.spec import required_columns


def check_header(table: Table, kind: str) -> None:
    """Without its required columns no row can be checked: reject at once."""
    missing = [name for name in required_columns(kind) if not table.has(name)]
    if missing:
        raise SheetRejected([RowProblem(table.header_row, name, "缺少这一列（请核对表头）")
                              for name in missing])


class FirstSeen:
    """Remembers the first row of each key, to name both rows of a duplicate."""

    def __init__(self, column: str, noun: str) -> None:
        self.column = column
        self.noun = noun
        self.rows: dict[str, int] = {}

    def check(self, key: str, row: int) -> RowProblem | None:
        first = self.rows.setdefault(key, row)
        if first == row:
            return None
        return RowProblem(row, self.column, f"{self.noun} {key} 与第{first}行重复")
