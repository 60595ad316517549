"""The part of the tree an import may touch."""

from __future__ import annotations

from dataclasses import dataclass

from learning_app.models import Member, Organization


@dataclass(frozen=True)
class Scope:
    """An org admin's subtree, copied out of the ORM object.

    Plain values: the import ends and restarts transactions, which would
    expire an ORM object halfway through.
    """

    code: str
    path: str
    name: str
    id: int | None = None

    @classmethod
    def of(cls, org: Organization) -> Scope:
        return cls(org.code, org.path, org.name, org.id)

    def holds(self, path: str) -> bool:
        return path.startswith(self.path)

    @property
    def outside(self) -> str:
        return f"不在您管理的范围（{self.name}）内"


@dataclass(frozen=True)
class Importer:
    """Who imports, as plain values: their rank decides which accounts a row may change."""

    id: int
    role: str

    @classmethod
    def of(cls, member: Member) -> Importer:
        return cls(member.id, member.role)
