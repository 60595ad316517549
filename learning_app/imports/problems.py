"""What an import reports: the problems that reject a file, or the counts it changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class Problem(NamedTuple):
    """One thing wrong with the file, where a clerk can find it in the spreadsheet."""

    row: int  # the spreadsheet's own row number; the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        return f"第{self.row}行 {self.column}：{self.message}"


class ImportRejected(Exception):
    """The file was refused as a whole; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        # Stable sort: problems of one row keep the order they were found in.
        self.problems = sorted(problems, key=lambda problem: problem.row)
        super().__init__(f"导入被拒绝：共 {len(self.problems)} 个问题")


@dataclass
class ImportResult:
    kind: str  # "orgs" | "members"
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    transferred: int = 0  # members whose organization changed (组织关系转接)

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged

    def summary(self) -> str:
        noun = "组织" if self.kind == "orgs" else "党员"
        text = f"{noun}：新增 {self.added}，更新 {self.updated}，未变 {self.unchanged}"
        if self.kind == "members" and self.transferred:
            text += f"（其中组织关系转接 {self.transferred}）"
        return text
