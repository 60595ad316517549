"""The rollups kept current equal a recomputation from the ledger, after any operations."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from learning_app.admin.memberships import (
    current_membership,
    leave_roll,
    open_membership,
    transfer,
)
from learning_app.credits.ledger import award, org_on
from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.models import (
    Attempt,
    CreditEntry,
    CreditTarget,
    Member,
    Membership,
    QuizTest,
    ReportDirty,
    ReportMemberHours,
    ReportMemberStats,
    ReportOrgStats,
    ReportPeriod,
)
from learning_app.reports.participation import Counts, parse_period, prorated_target
from learning_app.reports.rollup import build, refresh
from tests.app.conftest import Tree, clear_audit_log
from tests.app.report_helpers import add_test

TODAY = dt.date(2026, 11, 26)
PERIODS = ("2026-H2", "2026-11", "2026-Q3", "2026")
VILLAGES = ("QC-LQ-01", "QC-LQ-02", "QC-SQ-01", "QC-SQ-02", "QC-D-RS")
TESTS = ("2026-H1", "2026-H2")
MEMBERS = 5
FIRST = dt.date(2026, 1, 1)


def day(offset: int) -> dt.date:
    return FIRST + dt.timedelta(days=offset)


operation = st.one_of(
    st.tuples(st.just("credit"), st.integers(0, MEMBERS - 1), st.integers(0, 329),
              st.sampled_from(["0.5", "1", "2", "6", "-1"])),
    st.tuples(st.just("transfer"), st.integers(0, MEMBERS - 1),
              st.integers(0, len(VILLAGES) - 1), st.integers(0, 329)),
    st.tuples(st.just("exempt"), st.integers(0, MEMBERS - 1)),
    st.tuples(st.just("category"), st.integers(0, MEMBERS - 1)),
    st.tuples(st.just("attempt"), st.integers(0, MEMBERS - 1), st.integers(0, 1),
              st.booleans()),
    st.tuples(st.just("leave"), st.integers(0, MEMBERS - 1), st.integers(0, 329)),
    st.tuples(st.just("refresh")),
)


def wipe() -> None:
    clear_audit_log()  # transfers and leaving are audited, naming the members deleted here
    for model in (ReportOrgStats, ReportMemberStats, ReportMemberHours, ReportPeriod,
                  Attempt, CreditEntry, Membership):
        db.session.execute(delete(model))
    db.session.execute(delete(Member))
    db.session.execute(delete(ReportDirty))
    db.session.commit()


def apply(op: tuple, members: list[Member], tree: Tree, serial: list[int]) -> None:
    kind, index = op[0], op[1] if len(op) > 1 else 0
    member = members[index] if kind != "refresh" else None
    if kind == "refresh":
        refresh(db.session, TODAY)
        return
    assert member is not None
    if kind == "credit":
        when = day(op[2])
        org_id = org_on(db.session, member.id, when)
        if org_id is None:
            return
        serial[0] += 1
        award(db.session, member_id=member.id, org_id=org_id, source_type="training",
              source_key=f"op:{serial[0]}", hours=Decimal(op[3]),
              earned_at=dt.datetime.combine(when, dt.time(2)))
    elif kind == "transfer":
        current = current_membership(db.session, member)
        when = day(op[3])
        if current is not None and when <= current.started_on:
            return
        try:
            transfer(db.session, member, tree[VILLAGES[op[2]]], when)
        except Refused:
            return
    elif kind == "exempt":
        member.exempt = not member.exempt
    elif kind == "category":
        member.category = "secretary" if member.category == "member" else "member"
    elif kind == "attempt":
        serial[0] += 1
        moment = dt.datetime(2026, 11, 24, 3, 0)
        db.session.add(Attempt(test_id=TESTS[op[2]], member_id=member.id, number=serial[0],
                               seed=1, started_at=moment, status="submitted",
                               submitted_at=moment, score=Decimal(50), max_score=Decimal(100),
                               passed=op[3], graded_at=moment))
    elif kind == "leave":
        current = current_membership(db.session, member)
        if current is None or day(op[2]) < current.started_on:
            return
        leave_roll(db.session, member, "transferred", day(op[2]))
    db.session.commit()


def recompute(key: str) -> dict[int, Counts]:
    """The figures per organization from the raw rows, in Python: the oracle."""
    period = parse_period(key)
    ref = period.reference_day(TODAY)
    annual = {t.category: Decimal(t.annual_hours) for t in db.session.scalars(
        select(CreditTarget))}
    tests = [t for t, opens in (("2026-H1", dt.date(2026, 5, 10)),
                                ("2026-H2", dt.date(2026, 11, 23))) if period.contains(opens)]
    result: dict[int, Counts] = defaultdict(Counts)
    for entry in db.session.scalars(select(CreditEntry).where(
            CreditEntry.earned_on.between(period.start, period.end))):
        result[entry.org_id] += Counts(hours=Decimal(entry.hours))
    for member in db.session.scalars(select(Member)):
        spans = list(db.session.scalars(select(Membership).where(
            Membership.member_id == member.id)))
        here = [m for m in spans if m.started_on <= ref
                and (m.ended_on is None or m.ended_on >= ref)]
        if not here:
            continue
        if member.exempt:
            result[here[0].org_id] += Counts(exempt=1)
            continue
        hours = sum((Decimal(e.hours) for e in db.session.scalars(select(CreditEntry).where(
            CreditEntry.member_id == member.id,
            CreditEntry.earned_on.between(period.start, period.end)))), Decimal(0))
        target = prorated_target(annual.get(member.category, Decimal(32)), period,
                                 min(m.started_on for m in spans))
        done = {a.test_id: a for a in db.session.scalars(select(Attempt).where(
            Attempt.member_id == member.id))}
        passed = {a.test_id for a in db.session.scalars(select(Attempt).where(
            Attempt.member_id == member.id, Attempt.passed.is_(True)))}
        result[here[0].org_id] += Counts(
            on_roll=1, participants=int(hours > 0), attained=int(hours >= target),
            eligible=len(tests), submitted=sum(t in done for t in tests),
            passed=sum(t in passed for t in tests))
    return {org: counts for org, counts in result.items() if not counts.is_zero()}


def stored(key: str) -> dict[int, Counts]:
    rows = db.session.scalars(select(ReportOrgStats).where(ReportOrgStats.period_key == key))
    result = {r.org_id: Counts(r.on_roll, r.exempt, r.participants, r.attained, r.eligible,
                               r.submitted, r.passed, Decimal(r.hours).quantize(Decimal("0.01")))
              for r in rows}
    return {org: counts for org, counts in result.items() if not counts.is_zero()}


def normalized(counts: dict[int, Counts]) -> dict[int, Counts]:
    return {org: Counts(c.on_roll, c.exempt, c.participants, c.attained, c.eligible,
                        c.submitted, c.passed, c.hours.quantize(Decimal("0.01")))
            for org, c in counts.items()}


@example(starts=[(0, -10), (1, 200), (2, -300), (3, 10), (4, 100)],
         ops=[("credit", 0, 300, "2"), ("refresh",), ("credit", 0, 301, "1"),
              ("transfer", 0, 2, 310), ("exempt", 1), ("refresh",), ("category", 2),
              ("attempt", 3, 1, True), ("leave", 4, 305)])
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(starts=st.lists(st.tuples(st.integers(0, len(VILLAGES) - 1), st.integers(-400, 300)),
                       min_size=MEMBERS, max_size=MEMBERS),
       ops=st.lists(operation, max_size=25))
def test_rollups_kept_current_equal_a_recomputation(
        tree: Tree, starts: list[tuple[int, int]], ops: list[tuple]) -> None:
    if not _tests():  # once per test function: examples share the database
        add_test("2026-H1", "2026-05-10T08:00:00+08:00")
        add_test("2026-H2", "2026-11-23T08:00:00+08:00")
    wipe()
    members = []
    for n, (village, offset) in enumerate(starts):
        member = Member(code=f"H{n}", name=f"党员{n}", must_change_password=False)
        db.session.add(member)
        db.session.flush()
        open_membership(db.session, member, tree[VILLAGES[village]], day(offset))
        members.append(member)
    db.session.commit()
    for key in PERIODS:
        build(db.session, key, TODAY)
    serial = [0]
    for op in ops:
        apply(op, members, tree, serial)
    refresh(db.session, TODAY)
    for key in PERIODS:
        expected = normalized(recompute(key))
        assert stored(key) == expected, key
        build(db.session, key, TODAY)  # and a full rebuild agrees too
        assert stored(key) == expected, key


def _tests() -> set[str]:
    return set(db.session.scalars(select(QuizTest.id)))
