"""Cells that are safe in and out of a spreadsheet.

Out: a text that starts with ``= + - @``, a tab or a carriage return is run
as a formula by Excel and WPS (and openpyxl writes a ``=…`` string as one), so
an organization named ``=HYPERLINK(…)`` would become a live link in every
export. Such a text gets a leading apostrophe, as OWASP's CSV-injection advice
says. Control characters, which an XLSX file can't hold, are dropped, so an
export never fails on a name.

In: a cell with a control character is refused at import, with its row and
column, so such names don't reach the database in the first place.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# C0 controls other than tab, line feed and carriage return, and DEL.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A number as text (a negative correction, "-1.00", or a rate) is no formula.
NUMBER = re.compile(r"[+-]?\d[\d,]*(?:\.\d+)?%?")


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None


def safe_text(text: str) -> str:
    """A text to put in an exported cell: never a formula, never unwritable."""
    text = CONTROL.sub("", text)
    if text.startswith(FORMULA_START) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_cell(value: object) -> object:
    """``safe_text`` for texts; numbers, dates and empty cells as they are."""
    return safe_text(value) if isinstance(value, str) else value
