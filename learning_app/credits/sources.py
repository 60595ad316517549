"""Where a ledger row's credit comes from, written and read in one place.

A row's ``source_key`` is ``<type>:<ref>``: ``reading:<article id>``,
``training:<training id>``, ``test:<test id>``, ``correction:<uuid>``. The
ledger's uniqueness hangs on it: one row per member and source.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func

from learning_app.models import CreditEntry
from learning_app.models.ledger import SOURCE_TYPES  # the types and their labels


def source_key(source_type: str, ref: object) -> str:
    assert source_type in SOURCE_TYPES, source_type
    return f"{source_type}:{ref}"


def source_ref(key: str) -> str:
    """``reading:liangbuchou-exit`` → ``liangbuchou-exit``."""
    return key.split(":", 1)[1]


def ref_column(source_type: str) -> Any:
    """The ref part of ``source_key`` in SQL, for rows of ``source_type``."""
    return func.substr(CreditEntry.source_key, len(source_type) + 2)
