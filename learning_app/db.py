"""Database plumbing, in one place: engine settings, transactions that write,
exclusive locks, dialect-specific INSERTs and psycopg's pipeline mode.

SQLite runs in WAL mode with foreign keys on; PostgreSQL in production. Code
elsewhere asks for what it needs (a write transaction, a lock, an upsert) and
this module knows how each database does it.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session

_IMMEDIATE: contextvars.ContextVar[bool] = contextvars.ContextVar("sqlite_immediate",
                                                                  default=False)


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin, so
        # that a transaction whose first statement writes takes the write lock
        # at once (and waits for it) instead of failing on upgrade.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL",
                       "busy_timeout=30000", "case_sensitive_like=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _IMMEDIATE.get() else "BEGIN")


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
