"""Engine settings per database: SQLite in WAL mode with foreign keys on."""

from __future__ import annotations

import contextvars
from typing import Any

from sqlalchemy import event
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
