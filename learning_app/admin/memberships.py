"""Membership history: joining, transfers (组织关系转接) and leaving the roll."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from learning_app.audit.service import record
from learning_app.errors import Refused
from learning_app.models import Member, Membership, Organization


def org_label(org: Organization | None) -> str | None:
    return f"{org.name}（{org.code}）" if org is not None else None


def current_membership(session: Session, member: Member) -> Membership | None:
    return session.scalar(select(Membership).where(
        Membership.member_id == member.id, Membership.ended_on.is_(None)))


def open_membership(session: Session, member: Member, org: Organization, on: dt.date,
                    note: str | None = None) -> Membership:
    membership = Membership(member_id=member.id, org_id=org.id, started_on=on, note=note)
    session.add(membership)
    member.org_id = org.id
    return membership


def transfer(session: Session, member: Member, to_org: Organization, on: dt.date,
             note: str | None = None) -> Membership:
    """Close the current membership the day before ``on`` and open one in ``to_org``.

    Credits already earned keep the organization they were earned in.
    """
    current = current_membership(session, member)
    if current is None:
        # Back on the roll after leaving it: memberships never overlap.
        last = session.scalar(select(Membership.ended_on).where(
            Membership.member_id == member.id).order_by(Membership.ended_on.desc()).limit(1))
        if last is not None and on <= last:
            raise Refused(400, f"转接日期须晚于{last.isoformat()}（上一段组织关系的结束日）")
    if current is not None:
        if current.org_id == to_org.id:
            raise Refused(400, "已在该组织")
        if on <= current.started_on:
            raise Refused(400, f"转接日期须晚于{current.started_on.isoformat()}")
        current.ended_on = on - dt.timedelta(days=1)
    from_org = session.get(Organization, current.org_id) if current is not None else None
    record(session, "transfer", target=member,
           before={"org": org_label(from_org), "status": member.status},
           after={"org": org_label(to_org), "status": "active", "on": on.isoformat(),
                  "note": note},
           org_id=to_org.id)
    member.status = "active"
    return open_membership(session, member, to_org, on, note)


def leave_roll(session: Session, member: Member, status: str, on: dt.date) -> None:
    """转出 (out of the county's tree) or 去世: the roll ends, the ledger stays."""
    if status not in ("transferred", "deceased"):
        raise Refused(400, "离开党员名册的原因只能是转出或去世")
    current = current_membership(session, member)
    if current is not None:
        current.ended_on = on
    record(session, "leave", target=member, before={"status": member.status},
           after={"status": status, "on": on.isoformat()})
    member.status = status
