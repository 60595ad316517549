"""Offline training (集中轮训, 党课, 主题党日, 专题培训) and its attendance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning_app.extensions import db
from learning_app.models.orgs import Organization
from learning_app.models.types import utcnow

TRAINING_KINDS: dict[str, str] = {
    "rotation": "集中轮训",
    "party_lecture": "党课",
    "party_day": "主题党日",
    "special": "专题培训",
}


class Training(db.Model):
    __tablename__ = "trainings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    held_on: Mapped[dt.date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    organizer: Mapped[str] = mapped_column(String(100))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    org: Mapped[Organization] = relationship()

    @property
    def kind_label(self) -> str:
        return TRAINING_KINDS.get(self.kind, self.kind)


class TrainingAttendance(db.Model):
    __tablename__ = "training_attendance"

    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
