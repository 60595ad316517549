"""Database plumbing, in one place: engine settings, transactions that write,
exclusive locks, dialect-specific INSERTs and psycopg's pipeline mode.

SQLite runs in WAL mode with foreign keys on, its files readable by the owner
only; PostgreSQL in production, its pool dropping connections the server has
closed (a restart) before handing them out. Code elsewhere asks for what it
needs (a write transaction, a lock, an upsert) and this module knows how each
database does it.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import select
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, scoped_session

_IMMEDIATE: contextvars.ContextVar[bool] = contextvars.ContextVar("sqlite_immediate",
                                                                  default=False)


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        _drop_closed_connections(engine)
    if engine.dialect.name != "sqlite":
        return
    path = sqlite_path(engine.url)

    @event.listens_for(engine, "do_connect")
    def _sqlite_private(_dialect: Any, _record: Any, _cargs: Any, _cparams: Any) -> None:
        if path is not None:
            owner_only_database(path, create=not (engine.url.database or "").startswith("file:"))

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin, so
        # that a transaction whose first statement writes takes the write lock
        # at once (and waits for it) instead of failing on upgrade.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except dbapi_connection.OperationalError as error:
            # A read-only database still serves reads; its writes get the clear
            # 503 of errors.database_error, and /api/ping reports it.
            if "readonly" not in str(error):
                raise
        for pragma in ("foreign_keys=ON", "synchronous=NORMAL", "busy_timeout=30000",
                       "case_sensitive_like=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _IMMEDIATE.get() else "BEGIN")


def sqlite_path(url: URL) -> Path | None:
    """The file behind a SQLite URL (``file:`` URIs too); None for an in-memory one."""
    database = url.database or ""
    if database.startswith("file:"):
        database = database[len("file:"):].split("?", 1)[0]
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        return None
    return Path(database)


def owner_only_database(path: Path, *, create: bool = True) -> None:
    """The database file and its -wal/-shm readable by the owner only (0600).

    Created empty with that mode before SQLite opens it (SQLite gives -wal and
    -shm the database file's mode); an existing file from before is tightened.
    """
    if create:
        with contextlib.suppress(FileExistsError, FileNotFoundError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        with contextlib.suppress(OSError):  # absent, or not ours to change
            mode = name.stat().st_mode & 0o777
            if mode & 0o077:
                name.chmod(mode & 0o700)


def _drop_closed_connections(engine: Engine) -> None:
    """Never hand out a pooled connection the server has already closed.

    A PostgreSQL restart (or pg_terminate_backend) leaves every pooled
    connection dead; the first statement on each would fail. pool_pre_ping
    would cost a round trip per checkout on the hot paths (settings.
    engine_options). Instead look, without a round trip, whether the idle
    socket has anything to read: an idle connection receives nothing, unless
    the server has said goodbye (its FATAL notice, then end of file).
    Raising DisconnectionError makes the pool connect afresh.
    """

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if peer_closed(dbapi_connection):
            raise DisconnectionError("the server closed this pooled connection")

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        # The server's goodbye (57P01 admin shutdown, 57P02 crash, 57P03 starting
        # up, 08xxx connection errors) is a disconnect even before psycopg marks
        # the connection broken. A disconnect invalidates the whole pool: its
        # other idle connections died with this one.
        state = getattr(context.original_exception, "sqlstate", None) or ""
        if state.startswith(("57P0", "08")):
            context.is_disconnect = True
        if context.is_disconnect:
            context.invalidate_pool_on_disconnect = True


def peer_closed(dbapi_connection: Any) -> bool:
    """True when an idle psycopg connection's socket is readable or broken."""
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return True
    try:
        fd = dbapi_connection.fileno()
    except Exception:  # closed under us
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def begin_write(session: Session | scoped_session[Session]) -> None:
    """Start a transaction that will write, holding SQLite's write lock from its start.

    A SQLite transaction that reads first and writes later cannot upgrade a
    snapshot another writer has moved past: it fails at once with "database is
    locked", whatever the busy timeout (bench/exam_surge.py saw 10% of saves
    fail so). BEGIN IMMEDIATE waits for the lock instead, and the reads that
    follow see the latest data. PostgreSQL needs nothing: its row locks and
    constraints do the work.
    """
    session.commit()
    if session.get_bind().dialect.name != "sqlite":
        return
    token = _IMMEDIATE.set(True)
    try:
        session.connection()
    finally:
        _IMMEDIATE.reset(token)


def real_session(session: Session | scoped_session[Session]) -> Session:
    """The session itself behind Flask-SQLAlchemy's scoped ``db.session``."""
    return session() if isinstance(session, scoped_session) else session


@contextmanager
def rollback_on_error(session: Session | scoped_session[Session]) -> Iterator[None]:
    """Whatever fails inside leaves nothing written: roll back, then re-raise."""
    try:
        yield
    except BaseException:
        session.rollback()
        raise


def exclusive(session: Session | scoped_session[Session], key: int) -> str:
    """Begin a transaction that holds the lock named ``key`` until it ends; the
    dialect's name. SQLite has one writer at a time, so its write lock (taken at
    BEGIN IMMEDIATE) is the lock; PostgreSQL takes the transaction-scoped
    advisory lock ``key``, so other work on the tables goes on meanwhile."""
    begin_write(session)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    return dialect


def dialect_insert(session: Session | scoped_session[Session], table: Any) -> Any:
    """INSERT with ON CONFLICT support for the session's database."""
    name = session.get_bind().dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(table)


def pyformat(sql: str) -> str:
    """``:name`` parameters as psycopg's ``%(name)s`` (``::type`` casts stay)."""
    return re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql)


@contextmanager
def pg_pipeline(conn: Connection) -> Iterator[Any]:
    """psycopg's pipeline mode on the connection under SQLAlchemy: the statements
    go out without waiting for each reply, one network round trip for all. The
    server still runs them in order. Yields the psycopg connection."""
    raw = conn.connection.driver_connection
    with raw.pipeline():
        yield raw
