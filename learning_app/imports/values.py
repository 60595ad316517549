"""Parsing single cells: codes, phone numbers, dates, integers."""

from __future__ import annotations

import datetime as dt
import re

ORG_CODE_RE = re.compile(r"[A-Za-z0-9-]{1,32}")
MEMBER_CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
PHONE_RE = re.compile(r"1[3-9][0-9]{9}")
# Excel on a Chinese Windows writes dates into CSV as 2020/7/1; people type 2020.7.1.
DATE_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?: 00:00(?::00)?)?")
_PHONE_NOISE = str.maketrans("", "", " -\u3000")


def normalize_phone(text: str) -> str:
    """'139 8123 4567', '+86 13981234567' → '13981234567' (unchecked)."""
    digits = text.translate(_PHONE_NOISE)
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits


def is_phone(text: str) -> bool:
    return PHONE_RE.fullmatch(text) is not None


def parse_date(text: str) -> dt.date | None:
    match = DATE_RE.fullmatch(text)
    if match is None:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def parse_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None
