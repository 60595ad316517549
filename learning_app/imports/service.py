"""The one entry point the CLI, the admin page and the benchmark share."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, scoped_session

from learning_app.audit.service import record
from learning_app.db import exclusive, real_session, rollback_on_error
from learning_app.errors import RowProblem
from learning_app.imports import members, members_write, orgs
from learning_app.imports.limits import FileLimits
from learning_app.imports.problems import ImportResult
from learning_app.imports.readers import Table, read_path
from learning_app.imports.scope import Importer, Scope
from learning_app.imports.spec import COLUMNS, KINDS
from learning_app.models.types import local_today
from learning_app.spreadsheet import display_name

Progress = Callable[[int], None]


def import_members(session: Session, table: Table, *, scope: Scope | None = None,
                   actor: Importer | None = None,
                   progress: Progress | None = None) -> ImportResult:
    today = local_today()
    snapshot = members.Snapshot.load(session)
    rows = members.validate(table, snapshot, scope, today, progress, actor=actor)
    return members_write.write(session, rows, snapshot, set(table.columns), today, progress)


def import_orgs(session: Session, table: Table, *, scope: Scope | None = None,
                actor: Importer | None = None,
                progress: Progress | None = None) -> ImportResult:
    # No account is touched by an organization import: the actor needs no check.
    return orgs.import_orgs(session, table, scope=scope, progress=progress)


# An arbitrary constant naming "the roster import" among PostgreSQL's advisory locks.
IMPORT_LOCK_KEY = 0x64_6A_69_6D  # "djim"

IMPORTERS: dict[str, Callable[..., ImportResult]] = {
    "orgs": import_orgs,
    "members": import_members,
}


def columns_of(kind: str) -> set[str]:
    """The columns an import reads: the reader keeps no other column's values."""
    return {column.name for column in COLUMNS[kind]}


def import_table(session: Session | scoped_session[Session], kind: str, table: Table, *,
                 scope: Scope | None = None, actor: Importer | None = None,
                 progress: Progress | None = None, source: str = "") -> ImportResult:
    """Validate the whole file, then write it, in one transaction: all or nothing.

    Raises SheetRejected (nothing written) when any row is wrong. ``progress``
    is called with row counts, twice per row in all (checking, writing).
    ``source``: the file's name, for the audit log (shown sanitised).
    """
    session = real_session(session)
    with rollback_on_error(session):
        # Validated against the same state it writes to: one import at a time,
        # holding the lock from before the prefetch until the commit.
        exclusive(session, IMPORT_LOCK_KEY)
        result = IMPORTERS[kind](session, table, scope=scope, actor=actor, progress=progress)
        name = display_name(source) if source else ""
        record(session, "import", org_id=scope.id if scope else None,
               detail=f"{result.summary()}{'；文件 ' + name if name else ''}",
               after=_counts(kind, name, result))
        session.commit()
    return result


def _counts(kind: str, name: str, result: ImportResult) -> dict[str, Any]:
    return {"kind": kind, "file": name, "rows": result.total, "added": result.added,
            "updated": result.updated, "unchanged": result.unchanged,
            "transferred": result.transferred}


def record_refusal(session: Session | scoped_session[Session], kind: str, source: str,
                   problems: Collection[RowProblem], scope: Scope | None = None) -> None:
    """A refused import in the audit log, in a transaction of its own (nothing else
    was written): who tried what, and the first problem. One short insert, so a
    hostile file's refusal stays cheap; and a probing import leaves a trace."""
    session = real_session(session)
    session.rollback()
    first = str(next(iter(problems))) if problems else ""
    name = display_name(source) if source else ""
    record(session, "import", org_id=scope.id if scope else None,
           detail=(f"未导入（{KINDS.get(kind, kind)}）：{name + '，' if name else ''}"
                   f"{len(problems)}个问题；{first}"),
           after={"kind": kind, "file": name, "refused": len(problems)})
    session.commit()


def import_file(session: Session | scoped_session[Session], kind: str, path: Path, *,
                scope: Scope | None = None, progress: Progress | None = None,
                limits: FileLimits | None = None) -> ImportResult:
    # The command line has no worker timeout to stay under: the size limits still hold.
    table = read_path(path, limits=limits or FileLimits(seconds=None), keep=columns_of(kind))
    return import_table(session, kind, table, scope=scope, progress=progress, source=path.name)
