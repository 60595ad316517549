"""Reading the rollups: an organization's figures, its children's, its months, its members.

Every function reads ``report_org_stats`` (or the member shares) of periods
that ``rollup.ensure_current`` has built and refreshed: none reads the ledger
beyond one organization's members, so a report's time does not grow with it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from learning_app.models import (
    Attempt,
    CreditEntry,
    Member,
    Organization,
    ReportMemberHours,
    ReportMemberStats,
    ReportOrgStats,
)
from learning_app.models.types import local_today
from learning_app.reports.participation import Counts, Figures, Period, parse_period
from learning_app.reports.rollup import ensure_current, period_tests

COUNT_COLUMNS = ("on_roll", "exempt", "participants", "attained", "eligible", "submitted",
                 "passed", "hours")


def _sums() -> list[Any]:
    return [func.coalesce(func.sum(getattr(ReportOrgStats, name)), 0) for name in COUNT_COLUMNS]


def _counts(row: Sequence[Any]) -> Counts:
    values = list(row)
    return Counts(*(int(v) for v in values[:-1]), hours=Decimal(str(values[-1])).quantize(
        Decimal("0.01")))


def _in_subtree(org: Organization) -> ColumnElement[bool]:
    return Organization.path.startswith(org.path, autoescape=True)


def subtree_counts(session: Session, org: Organization, key: str) -> Counts:
    row = session.execute(
        select(*_sums()).select_from(ReportOrgStats)
        .join(Organization, Organization.id == ReportOrgStats.org_id)
        .where(ReportOrgStats.period_key == key, _in_subtree(org))).one()
    return _counts(row)


def _child_segment(session: Session, org: Organization) -> ColumnElement[str]:
    """The id (as text) of the child of ``org`` that an organization in its subtree
    lies under: the path segment right after ``org.path`` ('' for ``org`` itself)."""
    rest = func.substr(Organization.path, len(org.path) + 1)
    if session.get_bind().dialect.name == "postgresql":
        return func.split_part(rest, "/", 1)
    return func.substr(rest, 1, func.instr(rest, "/") - 1)


def children_counts(session: Session, org: Organization, key: str
                    ) -> list[tuple[Organization, Counts]]:
    """Each child organization with its subtree's counts, children in code order.

    One pass over the subtree (found by its path prefix, an index range), grouped
    by the child each organization lies under: matching every organization
    against every child's prefix cost 100 ms at a county of a 1,000,000-member
    province (bench/reports.py).
    """
    children = list(session.scalars(select(Organization).where(
        Organization.parent_id == org.id).order_by(Organization.code)))
    if not children:
        return []
    segment = _child_segment(session, org)
    rows = session.execute(
        select(segment, *_sums()).select_from(ReportOrgStats)
        .join(Organization, Organization.id == ReportOrgStats.org_id)
        .where(ReportOrgStats.period_key == key, _in_subtree(org),
               Organization.id != org.id)
        .group_by(segment)).all()
    by_id = {int(row[0]): _counts(row[1:]) for row in rows}
    return [(c, by_id.get(c.id, Counts())) for c in children]


@dataclass
class MemberLine:
    member: Member
    exempt: bool
    hours: Decimal  # in the period, anywhere
    target: Decimal
    by_source: dict[str, Decimal] = field(default_factory=dict)  # earned here or anywhere
    tests: list[tuple[str, str]] = field(default_factory=list)  # (test id, 合格/不合格/未交卷)

    @property
    def attained(self) -> bool:
        return not self.exempt and self.hours >= self.target

    @property
    def shortfall(self) -> Decimal:
        return max(Decimal(0), self.target - self.hours)


@dataclass
class MemberList:
    on_roll: list[MemberLine]  # counted here, exempt members apart
    exempt: list[MemberLine]
    departed: list[tuple[Member, Decimal]]  # earned hours here in the period, counted elsewhere


def _lines(session: Session, period: Period, stats: list[ReportMemberStats]
           ) -> list[MemberLine]:
    ids = [s.member_id for s in stats]
    members = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(ids)))}
    by_source: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for member_id, source, hours in session.execute(
            select(CreditEntry.member_id, CreditEntry.source_type, func.sum(CreditEntry.hours))
            .where(CreditEntry.member_id.in_(ids),
                   CreditEntry.earned_on.between(period.start, period.end))
            .group_by(CreditEntry.member_id, CreditEntry.source_type)):
        by_source[member_id][source] = Decimal(str(hours)).quantize(Decimal("0.01"))
    tests = [t.id for t in period_tests(session, period)]
    results: dict[tuple[int, str], str] = {}
    for attempt in session.scalars(select(Attempt).where(
            Attempt.member_id.in_(ids), Attempt.test_id.in_(tests), Attempt.status != "open")):
        mark = "合格" if attempt.passed else "不合格"
        key = (attempt.member_id, attempt.test_id)
        if results.get(key) != "合格":
            results[key] = mark
    lines = [MemberLine(members[s.member_id], s.exempt, s.hours, s.target,
                        by_source.get(s.member_id, {}),
                        [(t, results.get((s.member_id, t), "未交卷")) for t in tests])
             for s in stats]
    return sorted(lines, key=lambda line: line.member.code)  # by code: no ranking


def member_list(session: Session, org: Organization, key: str) -> MemberList:
    """The members counted in ``org`` itself (not its subtree) for the period."""
    period = parse_period(key)
    stats = list(session.scalars(select(ReportMemberStats).where(
        ReportMemberStats.period_key == key, ReportMemberStats.org_id == org.id)))
    lines = _lines(session, period, stats)
    here = {s.member_id for s in stats}
    departed_rows = session.execute(
        select(Member, ReportMemberHours.hours)
        .join(ReportMemberHours, ReportMemberHours.member_id == Member.id)
        .where(ReportMemberHours.period_key == key, ReportMemberHours.org_id == org.id)
        .order_by(Member.code)).all()
    return MemberList(
        on_roll=[line for line in lines if not line.exempt],
        exempt=[line for line in lines if line.exempt],
        departed=[(m, Decimal(str(h))) for m, h in departed_rows if m.id not in here])


def reminders(session: Session, org: Organization, key: str, limit: int = 200,
              today: dt.date | None = None
              ) -> tuple[list[tuple[Member, Organization, Decimal, Decimal]], int]:
    """督学提醒: members in the subtree behind their target (first ``limit``, in
    organization and code order), and how many there are in all.

    While the period runs, "behind" means below the target prorated to the days
    elapsed so far (the period's target would list nearly everyone early on);
    the returned target is that one.
    """
    period = parse_period(key)
    gap = (period.end - period.reference_day(today or local_today())).days
    stats = ReportMemberStats
    due = func.round(stats.target * func.max(stats.days_owed - gap, 0) / stats.days_owed, 2) \
        if session.get_bind().dialect.name == "sqlite" else func.round(
            stats.target * func.greatest(stats.days_owed - gap, 0) / stats.days_owed, 2)
    below = and_(stats.period_key == key, stats.exempt.is_(False), stats.days_owed > 0,
                 stats.hours < due, _in_subtree(org))
    total = session.scalar(select(func.count()).select_from(stats).join(
        Organization, Organization.id == stats.org_id).where(below)) or 0
    rows = session.execute(
        select(Member, Organization, stats.hours, due)
        .join(stats, stats.member_id == Member.id)
        .join(Organization, Organization.id == stats.org_id)
        .where(below).order_by(Organization.code, Member.code).limit(limit)).all()
    return [(m, o, Decimal(str(h)), Decimal(str(t)).quantize(Decimal("0.01")))
            for m, o, h, t in rows], total


def levels(session: Session, org: Organization, key: str, depth: int = 3
           ) -> list[list[tuple[Organization, Organization | None, Counts]]]:
    """The organization, then each level below it (down to ``depth`` levels in all):
    per level, (organization, its parent, its subtree's counts)."""
    result = [[(org, None, subtree_counts(session, org, key))]]
    parents = [org]
    for _ in range(depth - 1):
        level = []
        for parent in parents:
            level.extend((child, parent, counts)
                         for child, counts in children_counts(session, parent, key))
        if not level:
            break
        result.append(level)
        parents = [child for child, _, _ in level]
    return result


@dataclass
class Report:
    org: Organization
    period: Period
    figures: Figures
    children: list[tuple[Organization, Figures]]
    months: list[tuple[Period, Figures]]
    as_of: dt.date


def report(session: Session, org: Organization, key: str, *, today: dt.date | None = None,
           with_months: bool = True) -> Report:
    """The figures of ``org``'s subtree for the period, its children and its months."""
    period = parse_period(key)
    today = today or local_today()
    months = [m for m in period.months() if m.start <= today] if with_months else []
    ensure_current(session, [period.key, *(m.key for m in months)], today)
    return Report(
        org=org, period=period,
        figures=Figures(subtree_counts(session, org, period.key)),
        children=[(c, Figures(counts)) for c, counts in children_counts(session, org,
                                                                          period.key)],
        months=[(m, Figures(subtree_counts(session, org, m.key))) for m in months],
        as_of=period.reference_day(today))


__all__ = ["MemberLine", "MemberList", "Report", "children_counts", "levels", "member_list",
           "reminders", "report", "subtree_counts"]
