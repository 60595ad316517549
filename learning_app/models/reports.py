"""Participation rollups (contract 5): kept current so a report never reads the ledger.

``report_org_stats`` holds, per period and organization, the counters of the
members attributed to it and the hours earned in it (not its subtree: a
subtree is a sum over a path prefix, a few thousand rows at most).
``report_member_stats`` / ``report_member_hours`` hold each member's share,
so a change is applied as the difference between a member's new share and the
stored one. Database triggers mark members in ``report_dirty`` whenever the
ledger, memberships, the member's category/exemption/status or an attempt
changes; ``reports.rollup.refresh`` applies them before every report (and
from ``flask report refresh``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from learning_app.extensions import db
from learning_app.models.types import utcnow


class ReportPeriod(db.Model):
    """A period whose rollup exists (built in full once, then kept current)."""

    __tablename__ = "report_periods"

    key: Mapped[str] = mapped_column(String(10), primary_key=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    built_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The day whose roll the shares reflect: the period's last day, or the
    # day of the latest refresh while it runs.
    as_of: Mapped[dt.date] = mapped_column(Date)
    # The period's tests and the credit targets the rollup was built with: a
    # test loaded or a target changed since makes the next report rebuild it.
    signature: Mapped[str] = mapped_column(String(64))


class ReportOrgStats(db.Model):
    __tablename__ = "report_org_stats"

    period_key: Mapped[str] = mapped_column(
        ForeignKey("report_periods.key", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    on_roll: Mapped[int] = mapped_column(default=0)
    exempt: Mapped[int] = mapped_column(default=0)
    participants: Mapped[int] = mapped_column(default=0)
    attained: Mapped[int] = mapped_column(default=0)
    eligible: Mapped[int] = mapped_column(default=0)
    submitted: Mapped[int] = mapped_column(default=0)
    passed: Mapped[int] = mapped_column(default=0)
    hours: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))


class ReportMemberStats(db.Model):
    """A member on the roll at the period's reference day, and where they count."""

    __tablename__ = "report_member_stats"

    period_key: Mapped[str] = mapped_column(
        ForeignKey("report_periods.key", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    exempt: Mapped[bool] = mapped_column(default=False)
    hours: Mapped[Decimal] = mapped_column(Numeric(9, 2), default=Decimal(0))  # anywhere
    target: Mapped[Decimal] = mapped_column(Numeric(7, 2), default=Decimal(0))
    days_owed: Mapped[int] = mapped_column(default=0)  # days on the roll in the period
    eligible: Mapped[int] = mapped_column(default=0)
    submitted: Mapped[int] = mapped_column(default=0)
    passed: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_report_member_stats_period_key_org_id", "period_key", "org_id"),)


class ReportMemberHours(db.Model):
    """A member's hours in the period per organization where they were earned."""

    __tablename__ = "report_member_hours"

    period_key: Mapped[str] = mapped_column(
        ForeignKey("report_periods.key", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    hours: Mapped[Decimal] = mapped_column(Numeric(9, 2))

    __table_args__ = (Index("ix_report_member_hours_period_key_org_id", "period_key", "org_id"),)


class ReportDirty(db.Model):
    """Members whose share must be recomputed; ``since``: the earliest day touched
    (None: every period)."""

    __tablename__ = "report_dirty"

    member_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    since: Mapped[dt.date | None] = mapped_column(Date)
