"""Member import, part two: bulk upsert by 党员编号.

Plain Core executemany statements in chunks, never one ORM flush per row:
that is what makes 100,000 members a matter of seconds. No password is
hashed here; new members have none until they use a one-time activation
code (auth/activation.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from learning_app.audit.service import record_many
from learning_app.imports import roll
from learning_app.imports.members import (
    FIELDS,
    ExistingMember,
    MemberRow,
    Snapshot,
    wanted_fields,
)
from learning_app.imports.problems import ImportResult
from learning_app.models import Member, Membership
from learning_app.models.types import utcnow

Progress = Callable[[int], None]
CHUNK = 5000
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _roll_change(current: ExistingMember, wanted: dict[str, Any]) -> roll.RollChange | None:
    was_on, now_on = current.status == "active", wanted["status"] == "active"
    if was_on and now_on and current.org_id != wanted["org_id"]:
        action = "transfer"
    elif was_on and not now_on:
        action = "leave"
    elif now_on and not was_on:
        action = "rejoin"
    else:
        return None  # off the roll before and after: no membership to keep right
    return roll.RollChange(current.id, wanted["org_id"], action, wanted["status"])


# Fields an import changes that have their own events (transfer, leave) in roll.apply.
_MOVES = ("status", "org_id")


def _edit_event(current: ExistingMember, wanted: dict[str, Any]) -> dict[str, Any] | None:
    """The audit event for one member whose fields the import changes."""
    changed = [field for field in FIELDS if field not in _MOVES
               and getattr(current, field) != wanted[field]]
    if not changed:
        return None
    exemption = set(changed) <= {"exempt", "exempt_reason"}
    return {"action": "exemption" if exemption else "member_edited",
            "target_member_id": current.id, "target": f"{current.name}（{current.code}）",
            "org_id": current.org_id,
            "before": {field: getattr(current, field) for field in changed},
            "after": {field: wanted[field] for field in changed}, "detail": "名册导入"}


def write(session: Session, rows: list[MemberRow], snapshot: Snapshot, columns: set[str],
          today: dt.date, progress: Progress | None = None) -> ImportResult:
    result = ImportResult("members")
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    starts: dict[str, tuple[int, dt.date]] = {}  # new member code → (org id, first day)
    updates: list[dict[str, Any]] = []
    edits: list[dict[str, Any]] = []  # one audit event per member the import changes
    phones_freed: list[dict[str, Any]] = []
    changes: list[roll.RollChange] = []
    for row in rows:
        org_id = snapshot.orgs[row.org_code].id
        current = snapshot.members.get(row.code)
        wanted = wanted_fields(row, current, org_id, columns)
        if current is None:
            inserts.append({**wanted, "code": row.code, "role": "member", "scope_org_id": None,
                            "password_hash": None, "must_change_password": True,
                            "auth_version": 1, "created_at": now, "updated_at": now})
            if wanted["status"] == "active":
                starts[row.code] = (org_id, row.started_on or today)
            continue
        if all(getattr(current, field) == wanted[field] for field in FIELDS):
            result.unchanged += 1
            continue
        result.updated += 1
        edits.append(_edit_event(current, wanted))
        updates.append({f"v_{field}": wanted[field] for field in FIELDS}
                       | {"v_id": current.id, "v_updated_at": now})
        if current.phone and current.phone != wanted["phone"]:
            phones_freed.append({"v_id": current.id})
        change = _roll_change(current, wanted)
        if change is not None:
            changes.append(change)
    result.added = len(inserts)
    if progress:
        progress(result.unchanged)

    table = Member.__table__
    by_id = table.c.id == bindparam("v_id")
    # Phones first set aside, so that two members swapping numbers (or a
    # number passing to a new member) never trips the unique index midway.
    for chunk in chunks(phones_freed):
        session.execute(update(table).where(by_id).values(phone=None), chunk)
    set_fields = update(table).where(by_id).values(
        {field: bindparam(f"v_{field}") for field in (*FIELDS, "updated_at")})
    for chunk in chunks(updates):
        session.execute(set_fields, chunk)
        if progress:
            progress(len(chunk))

    last_id = session.scalar(select(func.coalesce(func.max(Member.id), 0)))
    for chunk in chunks(inserts):
        session.execute(insert(table), chunk)
        if progress:
            progress(len(chunk))
    if starts:
        new_ids = session.execute(select(Member.code, Member.id).where(Member.id > last_id))
        memberships = [{"member_id": member_id, "org_id": starts[code][0],
                        "started_on": starts[code][1], "ended_on": None, "note": roll.NOTE}
                       for code, member_id in new_ids if code in starts]
        for chunk in chunks(memberships):
            session.execute(insert(Membership.__table__), chunk)

    record_many(session, [edit for edit in edits if edit is not None], at=now)
    result.transferred = roll.apply(session, changes, today)  # audited there, per member
    return result
