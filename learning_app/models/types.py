"""Column types and clocks shared by the models."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer

TZ = ZoneInfo("Asia/Shanghai")
# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a bigint.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> dt.datetime:
    """Naive UTC, the same on SQLite and PostgreSQL."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def local_today() -> dt.date:
    return dt.datetime.now(TZ).date()


def local_date(moment_utc: dt.datetime) -> dt.date:
    return moment_utc.replace(tzinfo=dt.UTC).astimezone(TZ).date()
