"""Member import, part three: the roll (组织关系) follows the file.

Only members whose organization or on-roll status changed come here, so
this goes through the ordinary membership functions, one member at a time:
a county re-import moves a handful of people, not the whole roll.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from learning_app.admin.memberships import current_membership, leave_roll, open_membership, transfer
from learning_app.models import Member, Organization

NOTE = "批量导入"
CHUNK = 500


class RollChange(NamedTuple):
    member_id: int
    org_id: int
    action: str  # "transfer" (new organization) | "leave" (转出/去世) | "rejoin" (back on the roll)
    status: str


def apply(session: Session, changes: list[RollChange], today: dt.date) -> int:
    """Apply the changes; returns how many members changed organization."""
    moved = 0
    for start in range(0, len(changes), CHUNK):
        chunk = changes[start:start + CHUNK]
        # populate_existing: the bulk UPDATE before this bypassed the identity
        # map, and a member object already in the session would be stale.
        members = {member.id: member for member in session.scalars(
            select(Member).where(Member.id.in_([change.member_id for change in chunk]))
            .execution_options(populate_existing=True))}
        for change in chunk:
            member = members[change.member_id]
            if change.action == "leave":
                leave_roll(session, member, change.status, today)
                continue
            org = session.get(Organization, change.org_id)
            assert org is not None  # validated against the same locked snapshot
            moved += _move(session, member, org, today)
    session.flush()
    return moved


def _move(session: Session, member: Member, org: Organization, today: dt.date) -> int:
    current = current_membership(session, member)
    if current is None:
        open_membership(session, member, org, today, NOTE)
        return 0
    if current.org_id == org.id:  # the roll already says so; only members.org_id lagged
        member.org_id = org.id
        return 0
    if current.started_on >= today:
        # Imported this morning into the wrong branch and corrected now: a
        # one-day membership would only be noise in the history.
        current.org_id = org.id
        member.org_id = org.id
        return 1
    # Credit already earned keeps its org_id in the ledger; only the roll moves.
    transfer(session, member, org, today, NOTE)
    return 1
