"""Organization import: validate the whole tree, then upsert by code.

The tree after the import is the database's tree with the file's rows laid
over it; every check (parents, the single root, cycles, an admin's scope)
is made against that final tree, so a file may list children before their
parents and may move a branch elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from learning_app.errors import RowProblem, SheetRejected
from learning_app.imports.header import FirstSeen, check_header
from learning_app.imports.problems import ImportResult
from learning_app.imports.readers import Row, Table
from learning_app.imports.scope import Scope
from learning_app.imports.spec import (
    ORG_CODE,
    ORG_KIND,
    ORG_KIND_BY_LABEL,
    ORG_NAME,
    ORG_PARENT,
    ORG_SORT,
)
from learning_app.imports.values import ORG_CODE_RE, parse_int
from learning_app.models import Organization
from learning_app.models.orgs import ORG_KINDS

Progress = Callable[[int], None]
KIND_LIST = "、".join(ORG_KINDS.values())


@dataclass
class ExistingOrg:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    path: str
    depth: int
    sort_order: int


@dataclass
class OrgRow:
    row: int
    code: str
    name: str
    kind: str
    parent_code: str | None
    sort_order: int | None  # None: the file has no 排序 column, keep what is there


def load_existing(session: Session) -> dict[str, ExistingOrg]:
    rows = session.execute(select(
        Organization.id, Organization.code, Organization.name, Organization.kind,
        Organization.parent_id, Organization.path, Organization.depth, Organization.sort_order))
    return {row.code: ExistingOrg(*row) for row in rows}


# ---------------------------------------------------------------- validation

def _parse(row: Row, has_sort: bool, problems: list[RowProblem]) -> OrgRow:
    """The row's values, with a problem added for each one that is wrong."""
    code = row.get(ORG_CODE)
    if not code:
        problems.append(RowProblem(row.number, ORG_CODE, "必填"))
    elif not ORG_CODE_RE.fullmatch(code):
        problems.append(RowProblem(row.number, ORG_CODE, f"“{code}”只能由字母、数字和“-”组成，"
                                                      "不超过32位"))
    name = row.get(ORG_NAME)
    if not name:
        problems.append(RowProblem(row.number, ORG_NAME, "必填"))
    elif len(name) > 100:
        problems.append(RowProblem(row.number, ORG_NAME, "不能超过100字"))
    label = row.get(ORG_KIND)
    kind = ORG_KIND_BY_LABEL.get(label)
    if not label:
        problems.append(RowProblem(row.number, ORG_KIND, "必填"))
    elif kind is None:
        problems.append(RowProblem(row.number, ORG_KIND, f"未知的组织类别“{label}”，"
                                                      f"应为：{KIND_LIST}"))
    sort_order: int | None = None
    if has_sort:
        text = row.get(ORG_SORT)
        sort_order = parse_int(text) if text else 0
        if sort_order is None:
            problems.append(RowProblem(row.number, ORG_SORT, f"“{text}”不是整数"))
    return OrgRow(row.number, code, name, kind or "", row.get(ORG_PARENT) or None, sort_order)


def validate(table: Table, existing: dict[str, ExistingOrg], scope: Scope | None,
             progress: Progress | None = None) -> list[OrgRow]:
    check_header(table, "orgs")
    has_sort = table.has(ORG_SORT)
    problems: list[RowProblem] = []
    rows: list[OrgRow] = []  # rows with a usable code of their own: the tree is made of these
    codes = FirstSeen(ORG_CODE, "组织编码")
    for row in table.rows:
        code = row.get(ORG_CODE)
        duplicate = codes.check(code, row.number) if code else None
        if duplicate:
            problems.append(duplicate)
        parsed = _parse(row, has_sort, problems)
        if duplicate is None and ORG_CODE_RE.fullmatch(code):
            rows.append(parsed)
    if progress:
        progress(len(table.rows))
    # Every code the file names counts as existing, even on a row with other
    # problems, so that its children are not blamed for it.
    parent_problems = _parent_problems(rows, existing, set(codes.rows))
    problems += parent_problems
    unplaced = {problem.row for problem in parent_problems}
    placed = [row for row in rows if row.row not in unplaced]
    parents = _final_parents(placed, existing)
    cycle_problems = _cycle_problems(placed, parents)
    problems += cycle_problems
    if scope is not None and not parent_problems and not cycle_problems:
        problems += _scope_problems(placed, existing, parents, scope)
    if problems:
        raise SheetRejected(problems)
    return rows


def _parent_problems(rows: list[OrgRow], existing: dict[str, ExistingOrg],
                     file_codes: set[str]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    roots = sorted(org.code for org in existing.values() if org.parent_id is None)
    new_root_row: int | None = None
    for row in rows:
        parent = row.parent_code
        if parent is None:
            if row.code in roots:
                continue
            if roots:
                problems.append(RowProblem(row.row, ORG_PARENT, "必填：只有根组织（"
                                        f"{'、'.join(roots)}）可以不填上级组织编码"))
            elif new_root_row is not None:
                problems.append(RowProblem(row.row, ORG_PARENT, "必填：只能有一个根组织，"
                                        f"第{new_root_row}行已是根组织"))
            else:
                new_root_row = row.row
        elif parent == row.code:
            problems.append(RowProblem(row.row, ORG_PARENT, "上级组织不能是它自己"))
        elif parent not in existing and parent not in file_codes:
            problems.append(RowProblem(row.row, ORG_PARENT, f"没有编码为 {parent} 的组织"))
    return problems


def _final_parents(rows: list[OrgRow], existing: dict[str, ExistingOrg]) -> dict[str, str | None]:
    """code → parent code in the tree as it will be after the import."""
    code_of = {org.id: org.code for org in existing.values()}
    parents: dict[str, str | None] = {
        org.code: code_of.get(org.parent_id) if org.parent_id else None
        for org in existing.values()}
    for row in rows:
        parents[row.code] = row.parent_code
    return parents


def _cycle_problems(rows: list[OrgRow], parents: dict[str, str | None]) -> list[RowProblem]:
    """Walk up from every row; a walk that meets itself is a cycle (reported per row)."""
    done: set[str] = set()
    in_cycle: dict[str, list[str]] = {}
    for row in rows:
        trail: list[str] = []
        on_trail: set[str] = set()
        node: str | None = row.code
        while node is not None and node not in done:
            if node in on_trail:
                cycle = trail[trail.index(node):]
                for member in cycle:
                    in_cycle[member] = cycle
                break
            trail.append(node)
            on_trail.add(node)
            node = parents.get(node)
        done.update(trail)
    problems = []
    for row in rows:
        cycle = in_cycle.get(row.code)
        if cycle:
            start = cycle.index(row.code)
            loop = [*cycle[start:], *cycle[:start], row.code]
            problems.append(RowProblem(row.row, ORG_PARENT,
                                    "上下级关系形成循环：" + " → ".join(loop)))
    return problems


def _scope_problems(rows: list[OrgRow], existing: dict[str, ExistingOrg],
                    parents: dict[str, str | None], scope: Scope) -> list[RowProblem]:
    problems: list[RowProblem] = []
    outside = scope.outside

    def inside(code: str | None) -> bool:
        # No cycles by now, so the walk ends at the root.
        while code is not None:
            if code == scope.code:
                return True
            code = parents.get(code)
        return False

    code_of = {org.id: org.code for org in existing.values()}
    for row in rows:
        current = existing.get(row.code)
        if current is not None and not scope.holds(current.path):
            problems.append(RowProblem(row.row, ORG_CODE, f"组织 {row.code} {outside}"))
        elif row.code == scope.code:
            before = code_of.get(current.parent_id) if current and current.parent_id else None
            if row.parent_code != before:
                problems.append(RowProblem(row.row, ORG_PARENT, "不能改动您所管组织本身的上级组织"))
        elif not inside(row.parent_code):
            problems.append(RowProblem(row.row, ORG_PARENT,
                                       f"上级组织 {row.parent_code} {outside}"))
    return problems


# ------------------------------------------------------------------- writing

def _tree_paths(parent_of: dict[int, int | None]) -> dict[int, tuple[str, int]]:
    """id → (materialized path, depth), recomputed top-down for the whole tree.

    Recomputing everything is what keeps a moved branch right: every org
    below a new parent gets its new path, however deep. A county has a few
    thousand organizations, so this is milliseconds.
    """
    children: dict[int | None, list[int]] = {}
    for org_id, parent_id in parent_of.items():
        children.setdefault(parent_id, []).append(org_id)
    out: dict[int, tuple[str, int]] = {}
    stack = [(org_id, "/", 0) for org_id in children.get(None, [])]
    while stack:
        org_id, prefix, depth = stack.pop()
        path = f"{prefix}{org_id}/"
        out[org_id] = (path, depth)
        stack.extend((child, path, depth + 1) for child in children.get(org_id, []))
    return out


def write(session: Session, rows: list[OrgRow], existing: dict[str, ExistingOrg]
          ) -> ImportResult:
    result = ImportResult("orgs")
    table = Organization.__table__
    new_rows = [row for row in rows if row.code not in existing]
    if new_rows:
        # Inserted detached first (no parent, no path): parents may be new too,
        # and paths are made of ids that only exist after the insert.
        session.execute(insert(table), [
            {"code": row.code, "name": row.name, "kind": row.kind, "parent_id": None,
             "path": "", "depth": 0, "sort_order": row.sort_order or 0} for row in new_rows])
    id_of: dict[str, int] = dict(session.execute(select(Organization.code, Organization.id)).all())

    parent_of = {org.id: org.parent_id for org in existing.values()}
    wanted: dict[int, dict[str, object]] = {}
    for row in rows:
        org_id = id_of[row.code]
        parent_of[org_id] = id_of[row.parent_code] if row.parent_code else None
        current = existing.get(row.code)
        fields = {"name": row.name, "kind": row.kind, "parent_id": parent_of[org_id],
                  "sort_order": row.sort_order if row.sort_order is not None
                  else (current.sort_order if current else 0)}
        wanted[org_id] = fields
        if current is None:
            result.added += 1
        elif any(getattr(current, key) != value for key, value in fields.items()):
            result.updated += 1
        else:
            result.unchanged += 1

    by_id = {org.id: org for org in existing.values()}
    changes = []
    for org_id, (path, depth) in _tree_paths(parent_of).items():
        current = by_id.get(org_id)
        if org_id in wanted:
            fields = {**wanted[org_id], "path": path, "depth": depth}
        elif current is not None:  # not in the file: only its place in the tree may change
            fields = {"name": current.name, "kind": current.kind, "parent_id": current.parent_id,
                      "sort_order": current.sort_order, "path": path, "depth": depth}
        else:  # unreachable: every id here is either in the database or in the file
            continue
        if current is None or any(getattr(current, key) != value
                                  for key, value in fields.items()):
            changes.append({f"v_{key}": value for key, value in fields.items()} | {"v_id": org_id})
    if changes:
        session.execute(update(table).where(table.c.id == bindparam("v_id")).values(
            {key: bindparam(f"v_{key}") for key in
             ("name", "kind", "parent_id", "sort_order", "path", "depth")}), changes)
    return result


def import_orgs(session: Session, table: Table, *, scope: Scope | None = None,
                progress: Progress | None = None) -> ImportResult:
    existing = load_existing(session)
    rows = validate(table, existing, scope, progress)
    result = write(session, rows, existing)
    if progress:
        progress(len(table.rows))
    return result
