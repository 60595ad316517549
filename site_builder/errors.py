"""Build errors that name the file, line and field, as contract 1 requires."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class SourceError:
    """One problem in a source file: ``path:line: field: what was expected``."""

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


class ContentError(Exception):
    """Raised with every problem found, so an editor fixes them in one pass."""

    def __init__(self, errors: list[SourceError]) -> None:
        self.errors = sorted(errors)
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"{len(self.errors)} content error(s):"]
        lines += [f"  {err}" for err in self.errors]
        return "\n".join(lines)
