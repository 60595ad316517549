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


# The same controls as XLSX spells them (XML can't hold them): Excel writes
# "_x0007_", and openpyxl hands the escape back as it is.
ESCAPED_CONTROL = re.compile(r"_x00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])_")


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None


def has_cell_control(text: str) -> bool:
    """A control character in an imported cell, raw or in Excel's escape."""
    return has_control(text) or ESCAPED_CONTROL.search(text) is not None


def safe_text(text: str) -> str:
    """A text to put in an exported cell: never a formula, never unwritable."""
    text = CONTROL.sub("", text)
    if text.startswith(FORMULA_START) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_cell(value: object) -> object:
    """``safe_text`` for texts; numbers, dates and empty cells as they are."""
    return safe_text(value) if isinstance(value, str) else value


# Characters a file name never needs and an attacker likes: controls (C0, DEL, C1),
# the bidirectional overrides that make "exe.txt" read "txt.exe", and the ones
# Windows forbids in names (markup among them).
_NAME_NOISE = re.compile(r'[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069<>:"|?*]')


def display_name(filename: str, limit: int = 80) -> str:
    """An uploaded file's name as it may be shown or logged: its last part only (no
    ``../``), without controls or markup characters, and not too long."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = _NAME_NOISE.sub("_", name).strip(" .")
    if len(name) > limit:
        name = name[:limit - 1] + "…"
    return name or "（未命名文件）"
