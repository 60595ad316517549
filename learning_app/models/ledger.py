"""The append-only credit ledger (学时台账) and the annual targets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from learning_app.extensions import db
from learning_app.models.types import BigId, utcnow

SOURCE_TYPES: dict[str, str] = {
    "reading": "专栏阅读",
    "training": "线下培训",
    "test": "测试合格",
    "correction": "更正",
}


class CreditEntry(db.Model):
    """One row per (member, source): a retry can never count twice.

    Rows are never updated or deleted; a correction is a new row.
    Shaped like an xAPI statement: member (actor), source type (verb),
    source key (object), hours (result), earned_at (timestamp).
    """

    __tablename__ = "credit_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    # Where the member belonged when earning it (组织关系转接 doesn't move it).
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    source_type: Mapped[str] = mapped_column(String(16))
    source_key: Mapped[str] = mapped_column(String(120))
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    earned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    earned_on: Mapped[dt.date] = mapped_column(Date)  # Asia/Shanghai calendar day
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    note: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("member_id", "source_key"),
        Index("ix_credit_entries_member_id_earned_on", "member_id", "earned_on"),
        Index("ix_credit_entries_org_id_earned_on", "org_id", "earned_on"),
    )


class CreditTarget(db.Model):
    """Annual 学时 target per member category (条例 art. 20: 32 by default)."""

    __tablename__ = "credit_targets"

    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    annual_hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
