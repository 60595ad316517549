"""The one entry point the CLI, the admin page and the benchmark share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, scoped_session

from learning_app.imports import members, members_write, orgs
from learning_app.imports.locking import lock_for_import
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


IMPORTERS: dict[str, Callable[..., ImportResult]] = {
    "orgs": orgs.import_orgs,
    "members": import_members,
}


def import_table(session: Session | scoped_session[Session], kind: str, table: Table, *,
                 scope: Scope | None = None, progress: Progress | None = None) -> ImportResult:
    """Validate the whole file, then write it, in one transaction: all or nothing.

    Raises ImportRejected (nothing written) when any row is wrong. ``progress``
    is called with row counts, twice per row in all (checking, writing).
    """
    if isinstance(session, scoped_session):
        session = session()  # Flask-SQLAlchemy's db.session: work on the real one
    if session.in_transaction():
        # Start from a fresh transaction whose first statement takes the lock.
        session.commit()
    try:
        lock_for_import(session)
        result = IMPORTERS[kind](session, table, scope=scope, progress=progress)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def import_file(session: Session | scoped_session[Session], kind: str, path: Path, *,
                scope: Scope | None = None, progress: Progress | None = None) -> ImportResult:
    return import_table(session, kind, read_path(path), scope=scope, progress=progress)
