"""What an import reports when it succeeds: the counts it changed.

A rejected file raises ``errors.SheetRejected`` with its ``RowProblem`` list.
"""

from __future__ import annotations

from dataclasses import dataclass


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
