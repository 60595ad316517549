"""The organization tree: county → township committees → village branches."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from sqlalchemy.sql import Select

from learning_app.extensions import db

# Kinds as they appear in import files (Chinese) and in the database.
ORG_KINDS: dict[str, str] = {
    "province": "省委",  # province and city: the scale the reports are built for
    "city": "市委",
    "county": "县委",
    "township": "乡镇党委",
    "urban_rural": "城乡党委",
    "village": "村党支部",
    "community": "社区党组织",
    "department": "县直部门党组织",
    "branch": "党支部",
    "general_branch": "党总支",
}


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    # Materialized path of ids, e.g. "/1/17/203/": a subtree is one indexed
    # prefix match, however deep or wide the tree.
    path: Mapped[str] = mapped_column(String(255))
    depth: Mapped[int] = mapped_column(default=0)
    sort_order: Mapped[int] = mapped_column(default=0)

    parent: Mapped[Organization | None] = relationship(remote_side="Organization.id")

    __table_args__ = (
        Index("ix_organizations_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
    )

    @property
    def kind_label(self) -> str:
        return ORG_KINDS.get(self.kind, self.kind)

    def contains(self, other: Organization) -> bool:
        return other.path.startswith(self.path)

    def __repr__(self) -> str:
        return f"<Organization {self.code} {self.name}>"


def subtree_ids(root: Organization) -> Select[tuple[int]]:
    """A sub-select of the ids of ``root`` and everything below it."""
    return select(Organization.id).where(Organization.path.startswith(root.path, autoescape=True))


def child_path(parent: Organization | None, org_id: int) -> str:
    """The materialized path of organization ``org_id`` under ``parent``."""
    return (parent.path if parent else "/") + f"{org_id}/"


def add_organization(session: Session, *, code: str, name: str, kind: str,
                     parent: Organization | None = None, sort_order: int = 0) -> Organization:
    """Insert one organization with its path (its own id is known only after a flush)."""
    org = Organization(code=code, name=name, kind=kind, path="",
                       parent_id=parent.id if parent else None,
                       depth=parent.depth + 1 if parent else 0, sort_order=sort_order)
    session.add(org)
    session.flush()
    org.path = child_path(parent, org.id)
    return org
