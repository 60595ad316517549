"""Participation figures (contract 5) on a small county computed by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from learning_app.admin.memberships import leave_roll, transfer
from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.models import Member, ReportDirty
from learning_app.reports.figures import (
    children_counts,
    member_list,
    reminders,
    report,
    subtree_counts,
)
from learning_app.reports.participation import (
    Counts,
    Figures,
    PeriodError,
    parse_period,
    periods_containing,
    prorated_target,
)
from learning_app.reports.rollup import build, ensure_current, refresh
from tests.app.conftest import MakeMember, Tree
from tests.app.report_helpers import AFTER, add_test, credit, took

# ``county`` (tests/app/conftest.py): seven members of 龙泉镇 and 石桥乡 with a known
# 2026, built with report_helpers; its figures are computed by hand below.


def test_periods_parse_and_prorate() -> None:
    assert [(p.key, p.start, p.end) for p in map(parse_period, ["2026-11", "2026-Q4",
                                                                  "2026-H2", "2026"])] == [
        ("2026-11", dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
        ("2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        ("2026-H2", dt.date(2026, 7, 1), dt.date(2026, 12, 31)),
        ("2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31))]
    assert [p.key for p in periods_containing(dt.date(2024, 2, 29))] == [
        "2024-02", "2024-Q1", "2024-H1", "2024"]
    for bad in ("2026-13", "2026-Q5", "2026-H3", "26", "2026-11-01", "H2"):
        with pytest.raises(PeriodError):
            parse_period(bad)
    h2 = parse_period("2026-H2")
    assert prorated_target(Decimal(32), h2, dt.date(2020, 1, 1)) == Decimal("16.13")
    assert prorated_target(Decimal(56), h2, None) == Decimal("28.23")
    assert prorated_target(Decimal(32), h2, dt.date(2026, 12, 1)) == Decimal("2.72")
    assert prorated_target(Decimal(32), h2, dt.date(2027, 1, 1)) == Decimal(0)
    assert h2.reference_day(dt.date(2026, 11, 26)) == dt.date(2026, 11, 26)
    assert h2.reference_day(AFTER) == dt.date(2026, 12, 31)


def test_rates_and_their_empty_cases() -> None:
    figures = Figures(Counts(on_roll=5, exempt=1, participants=4, attained=2, eligible=5,
                             submitted=2, passed=1, hours=Decimal("57")))
    assert (figures.participation, figures.attainment, figures.hours_per_member,
            figures.test_rate, figures.pass_rate) == (0.8, 0.4, Decimal("11.40"), 0.4, 0.5)
    empty = Figures(Counts())
    assert (empty.participation, empty.hours_per_member, empty.pass_rate) == (None, None, None)


def counts_of(tree: Tree, code: str, key: str) -> Counts:
    return subtree_counts(db.session, tree[code], key)


def test_every_figure_by_hand(tree: Tree, county: dict[str, Member]) -> None:
    ensure_current(db.session, ["2026-H2", "2026-H1", "2026-10"], AFTER)
    # 杨柳湾村 LQ-01: a and b count (c exempt, d moved to SQ-01); hours where earned:
    # a 10 + b 30 + c 3 + d 4. b (secretary) has 30 >= 28.23; a 10 < 16.13.
    assert counts_of(tree, "QC-LQ-01", "2026-H2") == Counts(
        on_roll=2, exempt=1, participants=2, attained=1, eligible=2, submitted=2, passed=1,
        hours=Decimal("47.00"))
    # 石门村 LQ-02: e joined on 12-01 (target 2.72, has 3); f died in October (hours stay).
    assert counts_of(tree, "QC-LQ-02", "2026-H2") == Counts(
        on_roll=1, participants=1, attained=1, eligible=1, hours=Decimal("5.00"))
    # 青杠坪村 SQ-01: d (9 hours anywhere, 5 here) and g (none; the H1 test is not H2's).
    assert counts_of(tree, "QC-SQ-01", "2026-H2") == Counts(
        on_roll=2, participants=1, eligible=2, hours=Decimal("5.00"))
    county_counts = counts_of(tree, "QC", "2026-H2")
    assert county_counts == Counts(on_roll=5, exempt=1, participants=4, attained=2,
                                   eligible=5, submitted=2, passed=1, hours=Decimal("57.00"))
    figures = Figures(county_counts)
    assert (figures.participation, figures.attainment, figures.hours_per_member,
            figures.test_rate, figures.pass_rate) == (0.8, 0.4, Decimal("11.40"), 0.4, 0.5)
    # H1: the roll of June 30 (d still in LQ-01, f alive, e not yet); g's H1 test counts.
    assert counts_of(tree, "QC", "2026-H1") == Counts(
        on_roll=5, exempt=1, participants=1, attained=0, eligible=5, submitted=1, passed=1,
        hours=Decimal("2.00"))
    # October: d counts in SQ-01 from the 1st; f is off the roll by the 31st.
    assert counts_of(tree, "QC-SQ-01", "2026-10").on_roll == 2
    assert counts_of(tree, "QC-LQ-02", "2026-10").on_roll == 0
    assert counts_of(tree, "QC-LQ-01", "2026-10").hours == Decimal(0)


def test_a_parent_is_the_sum_of_its_children(tree: Tree, county: dict[str, Member]) -> None:
    ensure_current(db.session, ["2026-H2"], AFTER)
    for code in ("QC", "QC-LQ", "QC-SQ"):
        children = children_counts(db.session, tree[code], "2026-H2")
        total = sum((c for _, c in children), Counts())
        own = subtree_counts(db.session, tree[code], "2026-H2")
        assert own == total, code
    assert [o.code for o, _ in children_counts(db.session, tree["QC"], "2026-H2")] == [
        "QC-D-RS", "QC-LQ", "QC-SQ"]


def test_the_member_list_shows_hours_by_source_and_tests(tree: Tree,
                                                          county: dict[str, Member]) -> None:
    ensure_current(db.session, ["2026-H2"], AFTER)
    listed = member_list(db.session, tree["QC-LQ-01"], "2026-H2")
    people = county
    assert [line.member.id for line in listed.on_roll] == [people["a"].id, people["b"].id]
    a, b = listed.on_roll
    assert (a.hours, a.target, a.attained, a.by_source) == (
        Decimal("10.00"), Decimal("16.13"), False, {"training": Decimal("10.00")})
    assert a.tests == [("2026-H2", "合格")] and b.tests == [("2026-H2", "不合格")]
    assert [line.member.id for line in listed.exempt] == [people["c"].id]
    assert [(m.id, h) for m, h in listed.departed] == [(people["d"].id, Decimal("4.00"))]


def test_changes_after_a_build_are_applied_by_the_refresh(tree: Tree,
                                                          county: dict[str, Member]) -> None:
    today = dt.date(2026, 12, 10)
    ensure_current(db.session, ["2026-H2"], today)
    assert db.session.scalar(select(ReportDirty.member_id)) is None
    g = county["g"]
    credit(g, "QC-SQ-01", tree, "2026-12-08", "20", "g-dec")  # attains 16.13
    took(g, "2026-H2", True, "2026-12-09")
    transfer(db.session, county["a"], tree["QC-SQ-02"], dt.date(2026, 12, 10))
    db.session.commit()
    assert db.session.scalar(select(ReportDirty.member_id).where(
        ReportDirty.member_id == g.id)) == g.id
    assert refresh(db.session, today) == 2
    assert counts_of(tree, "QC-SQ-01", "2026-H2") == Counts(
        on_roll=2, participants=2, attained=1, eligible=2, submitted=1, passed=1,
        hours=Decimal("25.00"))
    assert counts_of(tree, "QC-SQ-02", "2026-H2").on_roll == 1  # a moved in
    assert counts_of(tree, "QC-LQ-01", "2026-H2").hours == Decimal("47.00")  # a's hours stay
    incremental = {code: counts_of(tree, code, "2026-H2") for code in tree.orgs}
    build(db.session, "2026-H2", today)
    assert {code: counts_of(tree, code, "2026-H2") for code in tree.orgs} == incremental


def test_a_report_rebuilds_when_a_test_is_loaded_into_its_period(
        tree: Tree, county: dict[str, Member]) -> None:
    first = report(db.session, tree["QC"], "2026-Q4", today=AFTER)
    assert first.figures.counts.eligible == 5
    add_test("2026-Q4-extra", "2026-12-01T08:00:00+08:00", audience=["QC-LQ"])
    again = report(db.session, tree["QC"], "2026-Q4", today=AFTER)
    assert again.figures.counts.eligible == 5 + 3  # LQ's on-roll members a, b, e
    assert [m.key for m, _ in again.months] == ["2026-10", "2026-11", "2026-12"]
    assert sum((f.counts.hours for _, f in again.months), Decimal(0)) == (
        again.figures.counts.hours)


def test_a_period_in_progress_reads_the_roll_of_today(tree: Tree,
                                                     county: dict[str, Member]) -> None:
    ensure_current(db.session, ["2026-H2"], dt.date(2026, 11, 20))
    # e joins on 12-01: not yet on the roll on 11-20.
    assert counts_of(tree, "QC-LQ-02", "2026-H2").on_roll == 0
    # Later days move the same rollup's roll forward, without a rebuild.
    ensure_current(db.session, ["2026-H2"], AFTER)
    assert counts_of(tree, "QC-LQ-02", "2026-H2").on_roll == 1
    assert counts_of(tree, "QC", "2026-H2").on_roll == 5



def test_a_member_back_on_the_roll_never_overlaps_the_old_membership(
        tree: Tree, make_member: MakeMember) -> None:
    member = make_member("QC-LQ-01")
    leave_roll(db.session, member, "transferred", dt.date(2026, 6, 30))
    db.session.commit()
    with pytest.raises(Refused, match="2026-06-30"):
        transfer(db.session, member, tree["QC-SQ-01"], dt.date(2026, 6, 30))
    transfer(db.session, member, tree["QC-SQ-01"], dt.date(2026, 7, 1))
    db.session.commit()
    assert member.status == "active" and member.org_id == tree["QC-SQ-01"].id


def test_reminders_in_a_running_period_use_the_target_to_date(
        tree: Tree, county: dict[str, Member]) -> None:
    today = dt.date(2026, 12, 10)  # 163 of H2's 184 days have passed
    ensure_current(db.session, ["2026-H2"], today)
    rows, total = reminders(db.session, tree["QC"], "2026-H2", today=today)
    people = county
    # a: 10 < 16.13 x 163/184 = 14.29; d: 9; g: 0. e joined 12-01: 2.72 x 10/31 = 0.88 <= 3.
    # b (secretary): 30 >= 28.23 x 163/184. c is exempt.
    assert total == 3
    assert [(m.id, h, t) for m, _, h, t in rows] == [
        (people["a"].id, Decimal("10.00"), Decimal("14.29")),
        (people["d"].id, Decimal("9.00"), Decimal("14.29")),
        (people["g"].id, Decimal("0.00"), Decimal("14.29"))]
    after, total_after = reminders(db.session, tree["QC"], "2026-H2", today=AFTER)
    assert total_after == 3 and {t for _, _, _, t in after} == {Decimal("16.13")}
