"""Offline training: record attendance, one ledger row per attendee."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy.orm import Session

from learning_app.credits.ledger import award, org_on
from learning_app.credits.sources import source_key
from learning_app.db import dialect_insert
from learning_app.models import Member, Training, TrainingAttendance
from learning_app.models.types import TZ


def record_attendance(session: Session, training: Training, members: Iterable[Member],
                      recorded_by: int) -> tuple[int, int]:
    """Add attendees; returns (newly credited, already recorded). Safe to repeat."""
    added = already = 0
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
    return added, already
