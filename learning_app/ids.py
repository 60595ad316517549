"""Ids in URLs and parameters: integers the database columns can hold.

A path like ``/app/admin/members/9223372036854775808`` must be "not found",
not an overflow inside the database driver (SQLite stops at 2⁶³, a
PostgreSQL ``integer`` at 2³¹). Routes use ``<int:…>`` as usual: the app
registers a bounded ``int`` converter, and ``<bigid:…>`` for bigint keys.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

INT_MAX = 2**31 - 1  # PostgreSQL integer
BIGINT_MAX = 2**63 - 1  # PostgreSQL bigint, SQLite INTEGER


class IdConverter(IntegerConverter):
    """A positive id that fits an ``integer`` column; anything longer can't match."""

    regex = r"\d{1,10}"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


class BigIdConverter(IntegerConverter):
    regex = r"\d{1,19}"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", BIGINT_MAX)
        super().__init__(map, *args, **kwargs)


def parse_id(raw: str | None, *, big: bool = False) -> int | None:
    """A query or form parameter as an id, or None when it isn't one that can exist."""
    text = (raw or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= (BIGINT_MAX if big else INT_MAX) else None


def install(url_map: Map) -> None:
    url_map.converters["int"] = IdConverter
    url_map.converters["bigid"] = BigIdConverter
