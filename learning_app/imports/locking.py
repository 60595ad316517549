"""One import at a time, validated against the same state it writes to."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

# An arbitrary constant naming "the roster import" among advisory locks.
PG_LOCK_KEY = 0x64_6A_69_6D  # "djim"


def lock_for_import(session: Session) -> None:
    """Take the write lock before the prefetch, not after validation.

    SQLite (WAL): a transaction that reads first and writes later fails at
    once with "database is locked" when another connection committed in
    between; a no-op UPDATE makes this transaction the writer up front, and
    other writers wait (busy_timeout) for the few seconds the import takes.
    PostgreSQL: an advisory lock keeps two imports from validating against
    the same state and then colliding on the unique codes and phones.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.execute(text("UPDATE organizations SET id = id WHERE id IS NULL"))
    elif dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
