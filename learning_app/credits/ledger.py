"""Writing to the append-only credit ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from learning_app.db import dialect_insert
from learning_app.models import CreditEntry, Membership
from learning_app.models.types import local_date, utcnow


def award(session: Session, *, member_id: int, org_id: int, source_type: str,
          source_key: str, hours: Decimal, earned_at: dt.datetime | None = None,
          earned_on: dt.date | None = None, recorded_by: int | None = None,
          note: str | None = None) -> bool:
    """Add one ledger row; False when this (member, source) already has one.

    ON CONFLICT DO NOTHING makes retries and parallel requests safe without
    a check-then-write race.
    """
    moment = earned_at or utcnow()
    statement = dialect_insert(session, CreditEntry.__table__).values(
        member_id=member_id, org_id=org_id, source_type=source_type, source_key=source_key,
        hours=hours, earned_at=moment, earned_on=earned_on or local_date(moment),
        recorded_by=recorded_by, note=note,
    ).on_conflict_do_nothing(index_elements=["member_id", "source_key"]).returning(
        CreditEntry.__table__.c.id)
    # RETURNING, not rowcount: psycopg reports no reliable count for this statement.
    return session.execute(statement).first() is not None


def org_on(session: Session, member_id: int, day: dt.date) -> int | None:
    """The organization the member belonged to on ``day`` (组织关系)."""
    return session.scalar(
        select(Membership.org_id)
        .where(Membership.member_id == member_id, Membership.started_on <= day,
               (Membership.ended_on.is_(None)) | (Membership.ended_on >= day))
        .order_by(Membership.started_on.desc()).limit(1))
