"""Build and keep current the participation rollups (models/reports.py).

A member's *share* of a period is one SQL query over their memberships,
ledger rows and attempts (``share_queries``): the organization they count in
on the reference day, exempt or not, hours anywhere, prorated target and test
counts, plus hours per organization where earned. ``build`` runs it for every
member at once; ``refresh`` runs it for the members the triggers marked and
applies the difference between their new and stored shares to the
organization counters. Both hold one lock (PostgreSQL advisory lock, SQLite's
write lock), so a build and a refresh never interleave.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, null, select, text, true
from sqlalchemy.orm import Session

from learning_app.credits.rules import DEFAULT_ANNUAL_HOURS
from learning_app.db import dialect_insert, exclusive, rollback_on_error
from learning_app.models import (
    CreditTarget,
    Membership,
    Organization,
    QuizTest,
    ReportDirty,
    ReportMemberHours,
    ReportMemberStats,
    ReportOrgStats,
    ReportPeriod,
)
from learning_app.models.types import TZ, local_today
from learning_app.reports.participation import Counts, Period, parse_period

LOCK_KEY = 7_461_300_501  # pg_advisory_xact_lock key of the rollups
BATCH = 2000  # dirty members per refresh transaction


@dataclass(frozen=True)
class PeriodTest:
    id: str
    audience_paths: tuple[str, ...] | None  # None: everyone


def period_tests(session: Session, period: Period) -> list[PeriodTest]:
    """The period's tests: not practice, window opening in the period (Asia/Shanghai)."""
    result = []
    for row in session.scalars(select(QuizTest).order_by(QuizTest.id)):
        data = row.definition
        if data.get("practice"):
            continue
        opens = dt.datetime.fromisoformat(data["opens"])
        if opens.tzinfo is None:
            opens = opens.replace(tzinfo=TZ)
        if not period.contains(opens.astimezone(TZ).date()):
            continue
        audience = data.get("audience", "all")
        paths = None
        if audience != "all":
            paths = tuple(sorted(session.scalars(select(Organization.path).where(
                Organization.code.in_(list(audience))))))
        result.append(PeriodTest(row.id, paths))
    return result


def targets(session: Session) -> dict[str, Decimal]:
    return {t.category: Decimal(t.annual_hours) for t in session.scalars(select(CreditTarget))}


def signature(tests: Sequence[PeriodTest], annual: dict[str, Decimal]) -> str:
    """What a rollup depends on besides the members' own rows."""
    data = {"tests": [[t.id, t.audience_paths] for t in tests],
            "targets": sorted((k, str(v)) for k, v in annual.items())}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


# -- the share of a member ----------------------------------------------------------------

def _days_expr(dialect: str) -> str:
    """Days from the later of the period's start and the member's first day on the roll
    to the period's end, inclusive."""
    if dialect == "postgresql":
        return "(CAST(:e AS date) - GREATEST(CAST(:s AS date), f.since) + 1)"
    return "(julianday(:e) - julianday(max(:s, f.since)) + 1)"


def share_queries(dialect: str, tests: Sequence[PeriodTest], filtered: bool
                   ) -> tuple[str, str, dict[str, Any]]:
    """(stats SELECT, hours SELECT, extra params) for one period.

    Columns of stats: member_id, org_id, exempt, hours, target, days_owed,
    eligible, submitted, passed. Of hours: member_id, org_id, hours.
    """
    only = "AND {col} IN :ids" if filtered else ""
    params: dict[str, Any] = {}
    eligible, submitted, passed = ["0"], ["0"], ["0"]
    for n, test in enumerate(tests):
        params[f"t{n}"] = test.id
        if test.audience_paths is None:
            inside = "1 = 1"
        else:
            likes = []
            for k, path in enumerate(test.audience_paths):
                params[f"t{n}p{k}"] = path + "%"
                likes.append(f"o.path LIKE :t{n}p{k}")
            inside = "(" + (" OR ".join(likes) or "1 = 0") + ")"
        done = (f"EXISTS (SELECT 1 FROM quiz_attempts a WHERE a.member_id = ms.member_id "
                f"AND a.test_id = :t{n} AND a.status <> 'open'")
        eligible.append(f"CASE WHEN {inside} THEN 1 ELSE 0 END")
        submitted.append(f"CASE WHEN {inside} AND {done}) THEN 1 ELSE 0 END")
        passed.append(f"CASE WHEN {inside} AND {done} AND a.passed = TRUE) THEN 1 ELSE 0 END")
    year_days = "CAST(:year_days AS numeric)" if dialect == "postgresql" else ":year_days"
    stats = f"""
        SELECT ms.member_id, ms.org_id, m.exempt,
               ROUND(COALESCE(h.hours, 0), 2) AS hours,
               ROUND(COALESCE(t.annual_hours, {int(DEFAULT_ANNUAL_HOURS)}) * {_days_expr(dialect)}
                     / {year_days}, 2) AS target,
               CAST({_days_expr(dialect)} AS integer) AS days_owed,
               {" + ".join(eligible)} AS eligible,
               {" + ".join(submitted)} AS submitted,
               {" + ".join(passed)} AS passed
        FROM memberships ms
        JOIN members m ON m.id = ms.member_id
        JOIN organizations o ON o.id = ms.org_id
        JOIN (SELECT member_id, MIN(started_on) AS since FROM memberships
              WHERE 1 = 1 {only.format(col="member_id")} GROUP BY member_id) f
          ON f.member_id = ms.member_id
        LEFT JOIN (SELECT member_id, SUM(hours) AS hours FROM credit_entries
                   WHERE earned_on BETWEEN :s AND :e {only.format(col="member_id")}
                   GROUP BY member_id) h ON h.member_id = ms.member_id
        LEFT JOIN credit_targets t ON t.category = m.category
        WHERE ms.started_on <= :r AND (ms.ended_on IS NULL OR ms.ended_on >= :r)
          {only.format(col="ms.member_id")}"""
    hours = f"""
        SELECT member_id, org_id, SUM(hours) AS hours FROM credit_entries
        WHERE earned_on BETWEEN :s AND :e {only.format(col="member_id")}
        GROUP BY member_id, org_id HAVING SUM(hours) <> 0"""
    return stats, hours, params


def period_params(period: Period, today: dt.date) -> dict[str, Any]:
    year_days = (dt.date(period.start.year, 12, 31) - dt.date(period.start.year, 1, 1)).days + 1
    return {"s": period.start, "e": period.end, "r": period.reference_day(today),
            "year_days": year_days}


def member_counts(exempt: bool, hours: Decimal, target: Decimal, eligible: int,
                  submitted: int, passed: int) -> Counts:
    """One member's part of their organization's counters (hours are counted apart)."""
    if exempt:
        return Counts(exempt=1)
    return Counts(on_roll=1, participants=int(hours > 0), attained=int(hours >= target),
                  eligible=eligible, submitted=submitted, passed=passed)


# The same rule as member_counts, for the set-based build.
ORG_COUNTS_SQL = """
    INSERT INTO report_org_stats (period_key, org_id, on_roll, exempt, participants, attained,
                                  eligible, submitted, passed, hours)
    SELECT :p, org_id, SUM(on_roll), SUM(exempt), SUM(participants), SUM(attained),
           SUM(eligible), SUM(submitted), SUM(passed), SUM(hours)
    FROM (
        SELECT org_id,
               CASE WHEN exempt THEN 0 ELSE 1 END AS on_roll,
               CASE WHEN exempt THEN 1 ELSE 0 END AS exempt,
               CASE WHEN NOT exempt AND hours > 0 THEN 1 ELSE 0 END AS participants,
               CASE WHEN NOT exempt AND hours >= target THEN 1 ELSE 0 END AS attained,
               CASE WHEN exempt THEN 0 ELSE eligible END AS eligible,
               CASE WHEN exempt THEN 0 ELSE submitted END AS submitted,
               CASE WHEN exempt THEN 0 ELSE passed END AS passed,
               0 AS hours
        FROM report_member_stats WHERE period_key = :p
        UNION ALL
        SELECT org_id, 0, 0, 0, 0, 0, 0, 0, hours FROM report_member_hours WHERE period_key = :p
    ) x GROUP BY org_id"""


def build(session: Session, key: str, today: dt.date | None = None) -> ReportPeriod:
    """(Re)build one period's rollup from the ledger, memberships and attempts."""
    period = parse_period(key)
    today = today or local_today()
    with rollback_on_error(session):
        dialect = exclusive(session, LOCK_KEY)
        tests = period_tests(session, period)
        for model in (ReportOrgStats, ReportMemberStats, ReportMemberHours):
            session.execute(delete(model).where(model.period_key == period.key))
        session.execute(delete(ReportPeriod).where(ReportPeriod.key == period.key))
        row = ReportPeriod(key=period.key, starts_on=period.start, ends_on=period.end,
                           as_of=period.reference_day(today),
                           signature=signature(tests, targets(session)))
        session.add(row)
        session.flush()
        stats, hours, extra = share_queries(dialect, tests, filtered=False)
        params = {**period_params(period, today), **extra, "p": period.key}
        session.execute(text(
            "INSERT INTO report_member_stats (period_key, member_id, org_id, exempt, hours, "
            "target, days_owed, eligible, submitted, passed) "
            f"SELECT :p, x.* FROM ({stats}) x"), params)
        session.execute(text(
            "INSERT INTO report_member_hours (period_key, member_id, org_id, hours) "
            f"SELECT :p, x.* FROM ({hours}) x"), params)
        session.execute(text(ORG_COUNTS_SQL), {"p": period.key})
        session.commit()
        if dialect == "postgresql":
            # Fresh statistics for the planner: with the tables' pre-build estimate
            # (a few rows) a county's report hashed every organization of the period
            # instead of looking up its own (bench/reports.py).
            session.execute(text("ANALYZE report_org_stats, report_member_stats"))
            session.commit()
    return row


def _as_decimal(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _apply(session: Session, dialect: str, period: Period, member_ids: list[int],
           tests: Sequence[PeriodTest], today: dt.date) -> None:
    """Replace these members' shares of ``period`` and move the counters by the difference."""
    delta: dict[int, Counts] = defaultdict(Counts)
    ids = bindparam("ids", expanding=True)
    for row in session.execute(select(ReportMemberStats).where(
            ReportMemberStats.period_key == period.key,
            ReportMemberStats.member_id.in_(member_ids))).scalars():
        delta[row.org_id] -= member_counts(row.exempt, row.hours, row.target, row.eligible,
                                           row.submitted, row.passed)
    for row in session.execute(select(ReportMemberHours).where(
            ReportMemberHours.period_key == period.key,
            ReportMemberHours.member_id.in_(member_ids))).scalars():
        delta[row.org_id] -= Counts(hours=row.hours)
    stats_sql, hours_sql, extra = share_queries(dialect, tests, filtered=True)
    params = {**period_params(period, today), **extra, "ids": member_ids}
    stats = [dict(r._mapping) for r in session.execute(
        text(stats_sql).bindparams(ids), params)]
    hours = [dict(r._mapping) for r in session.execute(
        text(hours_sql).bindparams(ids), params)]
    for row in stats:
        row["exempt"], row["hours"] = bool(row["exempt"]), _as_decimal(row["hours"])
        row["target"] = _as_decimal(row["target"])
        delta[row["org_id"]] += member_counts(row["exempt"], row["hours"], row["target"],
                                              row["eligible"], row["submitted"], row["passed"])
    for row in hours:
        row["hours"] = _as_decimal(row["hours"])
        delta[row["org_id"]] += Counts(hours=row["hours"])
    for model in (ReportMemberStats, ReportMemberHours):
        session.execute(delete(model).where(model.period_key == period.key,
                                            model.member_id.in_(member_ids)))
    if stats:
        session.execute(ReportMemberStats.__table__.insert(),
                        [{**r, "period_key": period.key} for r in stats])
    if hours:
        session.execute(ReportMemberHours.__table__.insert(),
                        [{**r, "period_key": period.key} for r in hours])
    _add_to_orgs(session, period.key, delta)


def _add_to_orgs(session: Session, key: str, delta: dict[int, Counts]) -> None:
    table = ReportOrgStats.__table__
    names = ("on_roll", "exempt", "participants", "attained", "eligible", "submitted",
             "passed", "hours")
    for org_id in sorted(delta):  # one order for every writer: no lock cycles
        change = delta[org_id]
        if change.is_zero():
            continue
        values = {name: getattr(change, name) for name in names}
        statement = dialect_insert(session, table).values(period_key=key, org_id=org_id,
                                                          **values)
        statement = statement.on_conflict_do_update(
            index_elements=["period_key", "org_id"],
            set_={name: table.c[name] + statement.excluded[name] for name in names})
        session.execute(statement)


def refresh(session: Session, today: dt.date | None = None) -> int:
    """Apply every marked member to the built periods; how many members."""
    today = today or local_today()
    if not _pending(session, today):
        return 0  # the common case: no write lock for a report that changes nothing
    done = 0
    while True:
        with rollback_on_error(session):
            dialect = exclusive(session, LOCK_KEY)
            periods = list(session.scalars(select(ReportPeriod)))
            for period_row in periods:
                _advance(session, period_row, parse_period(period_row.key), today)
            claimed = _claim(session)
            if not claimed:
                session.commit()  # keeps an advanced as_of
                return done
            for period_row in periods:
                period = parse_period(period_row.key)
                members = sorted(m for m, since in claimed
                                 if since is None or since <= period.end)
                if members:
                    _apply(session, dialect, period, members,
                           period_tests(session, period), today)
            session.commit()
        done += len(claimed)


def _pending(session: Session, today: dt.date) -> bool:
    """Whether a refresh has anything to do: marked members, or a running period
    whose roll is older than today."""
    pending = session.scalar(select(ReportDirty.member_id).limit(1)) is not None or any(
        parse_period(key).reference_day(today) != as_of
        for key, as_of in session.execute(select(ReportPeriod.key, ReportPeriod.as_of)))
    session.commit()  # end the read: the refresh proper starts with its lock
    return pending


def _advance(session: Session, row: ReportPeriod, period: Period, today: dt.date) -> None:
    """Move a running period's roll to ``today``: mark the members whose membership
    began or ended in between (nobody else's place on the roll can have changed)."""
    new = period.reference_day(today)
    old = row.as_of
    if new == old:
        return
    low, high = min(old, new), max(old, new)
    moved = select(Membership.member_id).where(
        ((Membership.started_on > low) & (Membership.started_on <= high))
        | ((Membership.ended_on >= low) & (Membership.ended_on < high))).distinct()
    table = ReportDirty.__table__
    statement = dialect_insert(session, table).from_select(
        # WHERE true: SQLite cannot otherwise tell ON CONFLICT from a join's ON.
        ["member_id", "since"], select(moved.subquery().c.member_id, null()).where(true()))
    session.execute(statement.on_conflict_do_update(
        index_elements=["member_id"], set_={"since": null()}))
    row.as_of = new
    session.flush()


def _claim(session: Session) -> list[tuple[int, dt.date | None]]:
    table = ReportDirty.__table__
    batch = select(table.c.member_id).order_by(table.c.member_id).limit(BATCH)
    rows = session.execute(delete(table).where(table.c.member_id.in_(batch.scalar_subquery()))
                           .returning(table.c.member_id, table.c.since)).all()
    return [(m, dt.date.fromisoformat(s) if isinstance(s, str) else s) for m, s in rows]


def ensure_current(session: Session, keys: Iterable[str], today: dt.date | None = None
                   ) -> None:
    """Build the periods never built (or built with other tests or targets), then refresh."""
    today = today or local_today()
    annual = targets(session)
    for key in dict.fromkeys(keys):
        period = parse_period(key)
        row = session.get(ReportPeriod, period.key)
        wanted = signature(period_tests(session, period), annual)
        if row is None or row.signature != wanted:
            build(session, period.key, today)
    refresh(session, today)
