"""The demo organization tree: 中共青川县委 → townships → village branches, and departments."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from learning_app.demo.names import (
    DEPARTMENT_REGULAR_SHARE,
    DEPARTMENTS,
    TOWNSHIPS,
    village_names,
)
from learning_app.models import Organization
from learning_app.models.orgs import child_path

ROOT_CODE = "QC"
ROOT_NAME = "中共青川县委"


@dataclass(frozen=True)
class Org:
    id: int
    code: str
    name: str
    kind: str
    regular_share: float
    township_code: str | None = None  # the township a branch belongs to


@dataclass
class DemoTree:
    root: Org
    townships: list[Org] = field(default_factory=list)
    branches: list[Org] = field(default_factory=list)  # villages and communities
    departments: list[Org] = field(default_factory=list)

    @property
    def grassroots(self) -> list[Org]:
        """The branches members belong to and hold 主题党日 in."""
        return self.branches + self.departments

    def by_code(self, code: str) -> Org:
        for org in [self.root, *self.townships, *self.grassroots]:
            if org.code == code:
                return org
        raise KeyError(code)


def _add(session: Session, parent: Organization | None, code: str, name: str, kind: str,
         sort_order: int) -> Organization:
    org = Organization(code=code, name=name, kind=kind, path="",
                       parent_id=parent.id if parent else None,
                       depth=parent.depth + 1 if parent else 0, sort_order=sort_order)
    session.add(org)
    return org


def _set_paths(session: Session, orgs: list[tuple[Organization, Organization | None]]) -> None:
    # The path holds the row's own id, known only after the INSERT: one flush
    # per level inserts that level in a single batch, then the paths follow.
    session.flush()
    for org, parent in orgs:
        org.path = child_path(parent, org.id)


def build_tree(session: Session, rng: random.Random) -> DemoTree:
    root = _add(session, None, ROOT_CODE, ROOT_NAME, "county", 0)
    _set_paths(session, [(root, None)])

    townships = [(_add(session, root, f"QC-{t.code}", f"{t.name}党委",
                       "urban_rural" if t.communities else "township", i), t)
                 for i, t in enumerate(TOWNSHIPS, start=1)]
    departments = [_add(session, root, f"QC-D-{code}", name, "department", 100 + i)
                   for i, (name, code) in enumerate(DEPARTMENTS, start=1)]
    _set_paths(session, [(org, root) for org, _ in townships] +
               [(org, root) for org in departments])

    fixed = {t.first_village for t in TOWNSHIPS if t.first_village}
    names = iter(village_names(rng, sum(t.villages for t in TOWNSHIPS) - len(fixed), fixed))
    branches: list[tuple[Organization, Organization, float]] = []
    for parent, township in townships:
        for i, community in enumerate(township.communities, start=1):
            branches.append((_add(session, parent, f"{parent.code}-C{i:02d}",
                                  f"{community}党支部", "community", i),
                             parent, township.regular_share))
        for i in range(1, township.villages + 1):
            name = township.first_village if i == 1 and township.first_village else next(names)
            branches.append((_add(session, parent, f"{parent.code}-{i:02d}",
                                  f"{name}党支部", "village", 10 + i),
                             parent, township.regular_share))
    _set_paths(session, [(org, parent) for org, parent, _ in branches])
    session.flush()

    tree = DemoTree(root=Org(root.id, root.code, root.name, root.kind, 0.0))
    tree.townships = [Org(o.id, o.code, o.name, o.kind, t.regular_share, o.code)
                      for o, t in townships]
    tree.departments = [Org(o.id, o.code, o.name, o.kind, DEPARTMENT_REGULAR_SHARE)
                        for o in departments]
    tree.branches = [Org(o.id, o.code, o.name, o.kind, share, parent.code)
                     for o, parent, share in branches]
    return tree
