"""Member import, part one: read what is there and check every row of the file.

Built for a county's whole roll (100,000 rows) in seconds: the database is
read once into dicts, and each row is checked against them without queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from learning_app.auth.roles import manage_refusal
from learning_app.errors import RowProblem, SheetRejected
from learning_app.imports.header import FirstSeen, check_header
from learning_app.imports.readers import Row, Table
from learning_app.imports.scope import Importer, Scope
from learning_app.imports.spec import (
    CATEGORY_BY_LABEL,
    M_CATEGORY,
    M_CODE,
    M_EXEMPT,
    M_JOINED,
    M_MOVED_IN,
    M_NAME,
    M_ORG,
    M_PHONE,
    M_STATUS,
    STATUS_BY_LABEL,
)
from learning_app.imports.values import MEMBER_CODE_RE, is_phone, normalize_phone, parse_date
from learning_app.models import Member, Organization
from learning_app.models.members import CATEGORIES, STATUSES

Progress = Callable[[int], None]
PROGRESS_EVERY = 5000
CATEGORY_LIST = "、".join(CATEGORIES.values())
STATUS_LIST = "、".join(STATUSES.values())
# What an import may change on an existing member.
FIELDS = ("name", "phone", "category", "exempt", "exempt_reason", "status", "org_id")


class ExistingMember(NamedTuple):
    id: int
    code: str
    name: str
    phone: str | None
    category: str
    exempt: bool
    exempt_reason: str | None
    status: str
    org_id: int | None
    role: str


class OrgRef(NamedTuple):
    id: int
    path: str


@dataclass(slots=True)
class MemberRow:
    row: int
    code: str
    name: str
    phone: str | None
    org_code: str
    category: str
    exempt_reason: str | None
    status: str
    started_on: dt.date | None


@dataclass
class Snapshot:
    """The database as the import found it (read under the import lock)."""

    members: dict[str, ExistingMember]
    orgs: dict[str, OrgRef]

    @classmethod
    def load(cls, session: Session) -> Snapshot:
        members = {row.code: ExistingMember(*row) for row in session.execute(select(
            Member.id, Member.code, Member.name, Member.phone, Member.category, Member.exempt,
            Member.exempt_reason, Member.status, Member.org_id, Member.role))}
        orgs = {code: OrgRef(org_id, path) for code, org_id, path in session.execute(
            select(Organization.code, Organization.id, Organization.path))}
        return cls(members, orgs)


def _lookup(labels: dict[str, str], text: str, default: str) -> str | None:
    """A Chinese label (or, for scripts, the internal key); None when unknown."""
    if not text:
        return default
    if text in labels:
        return labels[text]
    return text if text in labels.values() else None


def _parse(row: Row, today: dt.date, problems: list[RowProblem]) -> MemberRow:
    """The row's values, with a problem added for each one that is wrong."""
    number = row.number
    code = row.get(M_CODE)
    if not code:
        problems.append(RowProblem(number, M_CODE, "必填"))
    elif not MEMBER_CODE_RE.fullmatch(code):
        problems.append(RowProblem(number, M_CODE, f"“{code}”只能由字母、数字、“-”和“_”组成，"
                                                "不超过32位"))
    name = row.get(M_NAME)
    if not name:
        problems.append(RowProblem(number, M_NAME, "必填"))
    elif len(name) > 50:
        problems.append(RowProblem(number, M_NAME, "不能超过50字"))
    raw_phone = row.get(M_PHONE)
    phone = normalize_phone(raw_phone) if raw_phone else None
    if phone is not None and not is_phone(phone):
        problems.append(RowProblem(number, M_PHONE, f"“{raw_phone}”不是有效的11位手机号"))
    org_code = row.get(M_ORG)
    if not org_code:
        problems.append(RowProblem(number, M_ORG, "必填"))
    category = _lookup(CATEGORY_BY_LABEL, row.get(M_CATEGORY), "member")
    if category is None:
        problems.append(RowProblem(number, M_CATEGORY, f"未知的类别“{row.get(M_CATEGORY)}”，"
                                                    f"应为：{CATEGORY_LIST}"))
    reason = row.get(M_EXEMPT) or None
    if reason is not None and len(reason) > 100:
        problems.append(RowProblem(number, M_EXEMPT, "不能超过100字"))
    status = _lookup(STATUS_BY_LABEL, row.get(M_STATUS), "active")
    if status is None:
        problems.append(RowProblem(number, M_STATUS, f"未知的状态“{row.get(M_STATUS)}”，"
                                                  f"应为：{STATUS_LIST}"))
    started_on = None
    # 转入日期 (joined this organization) wins over 入党日期 (joined the Party).
    for column in (M_MOVED_IN, M_JOINED):
        text = row.get(column)
        if not text:
            continue
        started_on = parse_date(text)
        if started_on is None:
            problems.append(RowProblem(number, column,
                                       f"“{text}”不是日期，应写成“年-月-日”，例如 2015-07-01"))
        elif started_on > today:
            problems.append(RowProblem(number, column, "不能晚于今天"))
        break
    return MemberRow(number, code, name, phone, org_code, category or "member", reason,
                     status or "active", started_on)


def wanted_fields(row: MemberRow, current: ExistingMember | None, org_id: int,
                  columns: set[str]) -> dict[str, Any]:
    """The member's fields after the import; a column left out of the file keeps its value."""
    if M_EXEMPT in columns:
        exempt, reason = row.exempt_reason is not None, row.exempt_reason
    elif current is not None:
        exempt, reason = current.exempt, current.exempt_reason
    else:
        exempt, reason = False, None

    def keep(column: str, from_row: Any, field: str, default: Any) -> Any:
        if column in columns:
            return from_row
        return getattr(current, field) if current is not None else default

    return {
        "name": row.name,
        "phone": keep(M_PHONE, row.phone, "phone", None),
        "category": keep(M_CATEGORY, row.category, "category", "member"),
        "exempt": exempt,
        "exempt_reason": reason,
        "status": keep(M_STATUS, row.status, "status", "active"),
        "org_id": org_id,
    }


def _rank_problem(row: MemberRow, current: ExistingMember, org_id: int, columns: set[str],
                  actor: Importer) -> RowProblem | None:
    """An import changes nobody ranked as high as the importer, nor the importer's own
    record (issue 11: a branch secretary could rewrite the county admin's phone, or
    exempt herself). A row that changes nothing passes: the whole roll, the
    importer included, can be re-imported as it is."""
    after = wanted_fields(row, current, org_id, columns)
    if all(getattr(current, field) == after[field] for field in FIELDS):
        return None
    refusal = manage_refusal(actor.id, actor.role, current.id, current.role)
    return RowProblem(row.row, M_CODE, f"党员 {row.code}：{refusal}") if refusal else None


def validate(table: Table, snapshot: Snapshot, scope: Scope | None, today: dt.date,
             progress: Progress | None = None, *, actor: Importer | None = None
             ) -> list[MemberRow]:
    """Every row checked; SheetRejected lists all problems. ``scope``: the org admin's
    subtree (None: the whole county); ``actor``: who imports (None: the command line)."""
    check_header(table, "members")
    columns = set(table.columns)
    problems: list[RowProblem] = []
    rows: list[MemberRow] = []
    codes = FirstSeen(M_CODE, "党员编号")
    phones = FirstSeen(M_PHONE, "手机号")
    orgs = snapshot.orgs
    members = snapshot.members
    path_of = {ref.id: ref.path for ref in orgs.values()}
    for index, row in enumerate(table.rows, start=1):
        if progress and index % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
        before = len(problems)
        code = row.get(M_CODE)
        duplicate = codes.check(code, row.number) if code else None
        if duplicate:
            problems.append(duplicate)
        parsed = _parse(row, today, problems)
        if parsed.phone and is_phone(parsed.phone):
            same_phone = phones.check(parsed.phone, row.number)
            if same_phone:
                problems.append(same_phone)
        org = orgs.get(parsed.org_code) if parsed.org_code else None
        if org is None and parsed.org_code:
            problems.append(RowProblem(row.number, M_ORG, f"没有编码为 {parsed.org_code} 的组织"))
        current = members.get(code) if code else None
        if scope is not None:
            if org is not None and not scope.holds(org.path):
                problems.append(RowProblem(row.number, M_ORG,
                                        f"组织 {parsed.org_code} {scope.outside}"))
            if current is not None and not scope.holds(path_of.get(current.org_id, "")):
                # Says that the code is taken (it must be refused), never by whom or where.
                problems.append(RowProblem(row.number, M_CODE, f"党员 {code} 现属组织"
                                                            f"{scope.outside}"))
        if len(problems) == before and actor is not None and current is not None \
                and org is not None:
            rank = _rank_problem(parsed, current, org.id, columns, actor)
            if rank is not None:
                problems.append(rank)
        if len(problems) == before:
            rows.append(parsed)
    if progress:
        progress(len(table.rows) % PROGRESS_EVERY)
    # Only rows that passed may move a number away: counting a refused row (say one
    # naming a member outside the subtree) would tell the importer whose number it is.
    problems += _phone_taken(rows, members, {row.code for row in rows}, scope, path_of)
    if problems:
        raise SheetRejected(problems)
    return rows


def _phone_taken(rows: list[MemberRow], members: dict[str, ExistingMember],
                 file_codes: set[str], scope: Scope | None,
                 path_of: dict[int, str]) -> list[RowProblem]:
    """A phone already on another member's record, unless the file moves it away too."""
    owner_of = {member.phone: member for member in members.values() if member.phone}
    problems = []
    for row in rows:
        owner = owner_of.get(row.phone) if row.phone else None
        if owner is None or owner.code == row.code or owner.code in file_codes:
            continue
        # The number must be refused, but an org admin must not learn who, outside
        # their subtree, has it: one message for every such owner, wherever they are.
        # An owner inside the subtree is named: the admin sees them on the members page.
        inside = scope is None or (owner.org_id is not None
                                   and scope.holds(path_of.get(owner.org_id, "")))
        who = f"党员 {owner.code}（{owner.name}）" if inside else "其他党员"
        problems.append(RowProblem(row.row, M_PHONE, f"手机号 {row.phone} 已被{who}使用"))
    return problems
