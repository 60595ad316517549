"""The one entry point the CLI, the admin page and the benchmark share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, scoped_session

from learning_app.db import exclusive, real_session, rollback_on_error
from learning_app.imports import members, members_write, orgs
from learning_app.imports.problems import ImportResult
from learning_app.imports.readers import Table, read_path
from learning_app.imports.scope import Scope
from learning_app.models.types import local_today

Progress = Callable[[int], None]


def import_members(session: Session, table: Table, *, scope: Scope | None = None,
                   progress: Progress | None = None) -> ImportResult:
    today = local_today()
    snapshot = members.Snapshot.load(session)
    rows = members.validate(table, snapshot, scope, today, progress)
    return members_write.write(session, rows, snapshot, set(table.columns), today, progress)


# An arbitrary constant naming "the roster import" among PostgreSQL's advisory locks.
IMPORT_LOCK_KEY = 0x64_6A_69_6D  # "djim"

IMPORTERS: dict[str, Callable[..., ImportResult]] = {
    "orgs": orgs.import_orgs,
    "members": import_members,
}


def import_table(session: Session | scoped_session[Session], kind: str, table: Table, *,
                 scope: Scope | None = None, progress: Progress | None = None) -> ImportResult:
    """Validate the whole file, then write it, in one transaction: all or nothing.

    Raises SheetRejected (nothing written) when any row is wrong. ``progress``
    is called with row counts, twice per row in all (checking, writing).
    """
    session = real_session(session)
    with rollback_on_error(session):
        # Validated against the same state it writes to: one import at a time,
        # holding the lock from before the prefetch until the commit.
        exclusive(session, IMPORT_LOCK_KEY)
        result = IMPORTERS[kind](session, table, scope=scope, progress=progress)
        session.commit()
    return result


def import_file(session: Session | scoped_session[Session], kind: str, path: Path, *,
                scope: Scope | None = None, progress: Progress | None = None) -> ImportResult:
    return import_table(session, kind, read_path(path), scope=scope, progress=progress)
