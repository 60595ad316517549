"""Credit-hour rules: targets, hours and their display."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

MINUTES_PER_CREDIT_HOUR = 45  # 1 学时 = 45 minutes of study
DEFAULT_ANNUAL_HOURS = Decimal(32)  # 《中国共产党党员教育管理工作条例》 art. 20


def hours(value: Decimal | float | int | str) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def format_hours(value: Decimal | float | int) -> str:
    """1.50 -> "1.5", 2.00 -> "2"."""
    text = f"{hours(value):f}".rstrip("0").rstrip(".")
    return text or "0"


def progress_ratio(earned: Decimal, target: Decimal) -> float:
    if target <= 0:
        return 1.0
    return float(min(Decimal(1), earned / target))
