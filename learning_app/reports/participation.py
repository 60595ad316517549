"""Participation figures (DESIGN.md, contract 5) as plain functions.

Periods are a month (``2026-11``), a quarter (``2026-Q4``), a half-year
(``2026-H2``) or a year (``2026``). The roll is frozen at the period's last
day, or at today while the period runs. Definitions, printed on the pages and
the export's notes sheet (``DEFINITIONS``):

- a member counts, for the member-based figures, in the organization where
  their membership stood on that day; hours count where they were earned;
- the target is the annual target of the member's category prorated to the
  days of the period the member was on the roll (a member who joined in the
  period owes only the part after joining);
- the period's tests are the (non-practice) tests whose window opens in it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal

PERIOD_PATTERN = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])|H([12])))?$")
KIND_LABELS = {"month": "月", "quarter": "季度", "half": "半年", "year": "年度"}


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date
    key: str
    kind: str

    @property
    def label(self) -> str:
        year = self.start.year
        if self.kind == "month":
            return f"{year}年{self.start.month}月"
        if self.kind == "quarter":
            return f"{year}年第{(self.start.month + 2) // 3}季度"
        if self.kind == "half":
            return f"{year}年{'上' if self.start.month == 1 else '下'}半年"
        return f"{year}年"

    def reference_day(self, today: dt.date) -> dt.date:
        """The day the roll is read: the last day, or today while the period runs."""
        return min(self.end, max(today, self.start))

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> list[Period]:
        result, month = [], self.start
        while month <= self.end:
            result.append(parse_period(f"{month.year}-{month.month:02d}"))
            month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return result


def parse_period(key: str) -> Period:
    """``2026-11``, ``2026-Q4``, ``2026-H2`` or ``2026``; PeriodError otherwise."""
    match = PERIOD_PATTERN.match(key.strip())
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        raise PeriodError(f"期间“{key}”格式不对：应为 2026-11（月）、2026-Q4（季度）、"
                          "2026-H2（半年）或 2026（年度）")
    year, month, quarter, half = match.groups()
    y = int(year)
    if month:
        first, last, kind = int(month), int(month), "month"
    elif quarter:
        first, kind = 3 * int(quarter) - 2, "quarter"
        last = first + 2
    elif half:
        first, kind = 6 * int(half) - 5, "half"
        last = first + 5
    else:
        first, last, kind = 1, 12, "year"
    end = dt.date(y, last, calendar.monthrange(y, last)[1])
    return Period(dt.date(y, first, 1), end, key.strip(), kind)


def periods_containing(day: dt.date) -> list[Period]:
    """The month, quarter, half-year and year that contain ``day``."""
    y, m = day.year, day.month
    return [parse_period(f"{y}-{m:02d}"), parse_period(f"{y}-Q{(m + 2) // 3}"),
            parse_period(f"{y}-H{1 if m <= 6 else 2}"), parse_period(str(y))]


def prorated_target(annual: Decimal, period: Period, on_roll_since: dt.date | None
                    ) -> Decimal:
    """The annual target times the share of the year's days the member owes in the period."""
    first = max(period.start, on_roll_since or period.start)
    if first > period.end:
        return Decimal(0)
    days = (period.end - first).days + 1
    year_days = 366 if calendar.isleap(period.start.year) else 365
    return (Decimal(annual) * days / year_days).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass
class Counts:
    """Counters for one organization (or a sum of them) over a period."""

    on_roll: int = 0  # 应学人数: on the roll, exempt members excluded
    exempt: int = 0  # on the roll and exempt: listed apart
    participants: int = 0  # of on_roll, with any credit in the period
    attained: int = 0  # of on_roll, at or above the prorated target
    eligible: int = 0  # (member, test) pairs: on_roll members in a test's audience
    submitted: int = 0  # of eligible, handed in (or finished by the clock)
    passed: int = 0  # of submitted, passed
    hours: Decimal = Decimal(0)  # credit hours earned here in the period

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def __sub__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))

    def is_zero(self) -> bool:
        return all(not getattr(self, f.name) for f in fields(self))


def rate(numerator: int | Decimal, denominator: int) -> float | None:
    """A share in 0..1, or None when there is nobody to count (shown as "—")."""
    return None if denominator <= 0 else float(numerator) / denominator


@dataclass(frozen=True)
class Figures:
    """The six figures of contract 5 with the counts behind them."""

    counts: Counts

    @property
    def participation(self) -> float | None:  # 参学率
        return rate(self.counts.participants, self.counts.on_roll)

    @property
    def attainment(self) -> float | None:  # 学时达标率
        return rate(self.counts.attained, self.counts.on_roll)

    @property
    def hours_per_member(self) -> Decimal | None:  # 人均学时
        if self.counts.on_roll <= 0:
            return None
        return (self.counts.hours / self.counts.on_roll).quantize(Decimal("0.01"),
                                                                   ROUND_HALF_UP)

    @property
    def test_rate(self) -> float | None:  # 参考率
        return rate(self.counts.submitted, self.counts.eligible)

    @property
    def pass_rate(self) -> float | None:  # 合格率
        return rate(self.counts.passed, self.counts.submitted)

    def as_dict(self) -> dict[str, object]:
        c = self.counts
        return {
            "on_roll": c.on_roll, "exempt": c.exempt, "participants": c.participants,
            "attained": c.attained, "eligible": c.eligible, "submitted": c.submitted,
            "passed": c.passed, "hours": float(c.hours),
            "participation": self.participation, "attainment": self.attainment,
            "hours_per_member": None if self.hours_per_member is None
            else float(self.hours_per_member),
            "test_rate": self.test_rate, "pass_rate": self.pass_rate,
        }


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


DEFINITIONS: list[tuple[str, str]] = [
    ("应学人数", "期末（进行中的期间为今天）在册党员人数，不含免于学时要求的党员；"
                 "期内转出、离册的党员不计入，期内新入册的党员计入。"),
    ("参学率", "期内获得任何学时的应学党员 ÷ 应学人数。"),
    ("学时达标率", "期内学时达到折算目标的应学党员 ÷ 应学人数。折算目标 = 年度目标 × "
                   "期内在册天数 ÷ 全年天数（期内新入册的党员从入册日起算）。统计期未结束时"
                   "按全期目标计算；督学提醒名单则按期初至统计日的天数折算。"),
    ("人均学时", "期内在本组织获得的学时合计 ÷ 应学人数。学时计入取得学时时"
                 "党员组织关系所在的组织（组织关系转接不带走已取得的学时）。"),
    ("参考率", "已交卷的人次 ÷ 应参考人次。本期测试指考试窗口在期内开放的测试；"
               "应参考人次为应学党员中属于测试范围的人次；到时自动交卷的计为已交卷。"),
    ("合格率", "合格的人次 ÷ 已交卷的人次。"),
    ("统计归属", "按人计的指标（应学人数、参学、达标、参考、合格）计入党员期末组织关系"
                 "所在组织；上级组织的数字是其所有下级组织之和。"),
]
