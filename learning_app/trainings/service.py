"""Offline training: record attendance, one ledger row per attendee."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy.orm import Session

from learning_app.audit.service import member_label, record
from learning_app.credits.ledger import award, org_on
from learning_app.credits.sources import source_key
from learning_app.db import dialect_insert
from learning_app.models import Member, Organization, Training, TrainingAttendance
from learning_app.models.types import TZ


def record_attendance(session: Session, training: Training, members: Iterable[Member],
                      recorded_by: int) -> tuple[int, int]:
    """Add attendees; returns (newly credited, already recorded). Safe to repeat."""
    added = already = 0
    members = list(members)
    earned_at = dt.datetime.combine(training.held_on, dt.time(12), TZ).astimezone(
        dt.UTC).replace(tzinfo=None)
    for member in members:
        session.execute(dialect_insert(session, TrainingAttendance.__table__).values(
            training_id=training.id, member_id=member.id).on_conflict_do_nothing())
        # Credit counts where the member belonged on the day of the training.
        org_id = org_on(session, member.id, training.held_on) or member.org_id
        if org_id is None:
            continue
        if award(session, member_id=member.id, org_id=org_id, source_type="training",
                 source_key=source_key("training", training.id), hours=training.hours,
                 earned_at=earned_at, earned_on=training.held_on, recorded_by=recorded_by,
                 note=training.title[:200]):
            added += 1
        else:
            already += 1
    if members:
        record(session, "training", actor=session.get(Member, recorded_by),
               target=members[0] if len(members) == 1 else None,
               target_label=None if len(members) == 1 else f"{training.title}（{len(members)}人）",
               org_id=training.org_id,
               after={"training": training.title, "held_on": training.held_on.isoformat(),
                      "hours": str(training.hours), "members": [member_label(m) for m in members],
                      "added": added, "already": already},
               detail="登记参训党员")
    return added, already


def record_created(session: Session, training: Training) -> None:
    """The audit event of a training entered (its attendance is recorded apart)."""
    org = session.get(Organization, training.org_id)
    record(session, "training", target_label=training.title, org_id=training.org_id,
           after={"title": training.title, "kind": training.kind,
                  "held_on": training.held_on.isoformat(), "hours": str(training.hours),
                  "organizer": training.organizer,
                  "org": f"{org.name}（{org.code}）" if org else None},
           detail="登记培训")
