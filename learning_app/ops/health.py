"""The health check behind ``/api/ping``: can the database take a write?

A monitor (or nginx, or systemd) asks often, so the check is cheap: on
PostgreSQL one statement, on SQLite one statement under a short lock wait and
a look at the free disk space; and its answer is reused for
``HEALTH_CHECK_SECONDS`` (default 1) per worker, so ``/api/ping`` stays the
ceiling of the stack in the benchmarks.
"""

from __future__ import annotations

import shutil
import time
from typing import Any

from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from learning_app.db import sqlite_path
from learning_app.errors import database_trouble

# An UPDATE that matches no row still needs a writable database (SQLite takes
# the write lock, PostgreSQL refuses it in a read-only transaction), and
# alembic_version is in every migrated database. It is rolled back regardless.
WRITE_PROBE = "UPDATE alembic_version SET version_num = version_num WHERE 1 = 0"
MIN_FREE_BYTES = 16 * 1024 * 1024
DISK_NEARLY_FULL = "服务器磁盘空间不足，数据库很快将无法保存数据。"


def write_problem(engine: Engine, *, min_free_bytes: int = MIN_FREE_BYTES) -> str | None:
    """None when the database takes writes; otherwise what is wrong, in Chinese."""
    if engine.dialect.name == "sqlite":
        path = sqlite_path(engine.url)
        if (path is not None and path.parent.exists()
                and shutil.disk_usage(path.parent).free < min_free_bytes):
            return DISK_NEARLY_FULL
    try:
        if engine.dialect.name == "sqlite":
            return _sqlite_probe(engine)
        with engine.connect() as conn:
            conn.execute(text(WRITE_PROBE))
            conn.rollback()
    except DBAPIError as error:
        return database_trouble(error) or f"数据库无法访问：{type(error.orig).__name__}"
    return None


def _sqlite_probe(engine: Engine) -> str | None:
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        # Wait briefly for the write lock: held by a writer means writes work.
        previous = raw.execute("PRAGMA busy_timeout").fetchone()[0]
        raw.execute("PRAGMA busy_timeout = 200")
        try:
            raw.execute("BEGIN")
            raw.execute(WRITE_PROBE)
        except Exception as error:
            if "locked" in str(error) or "busy" in str(error):
                return None
            # The type only: a public endpoint names no paths or SQL.
            return database_trouble(error) or f"数据库无法写入：{type(error).__name__}"
        finally:
            if raw.in_transaction:
                raw.execute("ROLLBACK")
            raw.execute(f"PRAGMA busy_timeout = {int(previous)}")
    return None


def health(app: Flask, engine: Engine) -> dict[str, Any]:
    """``{"ok": True}``, or ``{"ok": False, "error": …}``; at most one check a
    ``HEALTH_CHECK_SECONDS`` per worker."""
    ttl = float(app.config.get("HEALTH_CHECK_SECONDS", 1.0))
    cached = app.extensions.get("dj_health")
    now = time.monotonic()
    if cached is not None and now < cached[0]:
        return dict(cached[1])
    problem = write_problem(
        engine, min_free_bytes=int(app.config.get("HEALTH_MIN_FREE_BYTES", MIN_FREE_BYTES)))
    result: dict[str, Any] = {"ok": True} if problem is None else {"ok": False, "error": problem}
    app.extensions["dj_health"] = (now + ttl, result)
    return dict(result)

