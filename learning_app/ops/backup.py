"""Backups and restores of the app's database, SQLite or PostgreSQL.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a
consistent snapshot while the app keeps writing (WAL: the copy is one read
transaction, writers go on). The copy is written under a temporary name,
switched to rollback-journal mode so it is one self-contained file, checked
(``PRAGMA integrity_check`` and ``foreign_key_check``), made 0600 and only
then renamed to its final name: a file named ``portal-….db`` is a good backup.

PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot, the app
keeps running), checked by reading its table of contents back with
``pg_restore --list``. The connection's password goes to the tools in the
environment (PGPASSWORD), never on a command line.

Restores check the backup first, keep the database they replace
(``portal.db.before-restore-<time>``, or a dump of the PostgreSQL database
next to the backup), then copy: SQLite through the backup API into the live
file, PostgreSQL with ``pg_restore --clean --if-exists --no-owner`` in a single
transaction. Stop the app for a restore: requests answered in between
would be lost when the copy replaces the data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from learning_app.db import owner_only_database, sqlite_path
from learning_app.models.types import TZ, utcnow


class BackupError(Exception):
    """A backup or restore that could not be made or trusted (Chinese, for the operator)."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    size: int
    seconds: float


@dataclass(frozen=True)
class Restored:
    target: str  # the database restored into, password masked
    previous: Path | None  # the copy of what it replaced, if there was anything
    seconds: float


def stamp(now: dt.datetime | None = None) -> str:
    """Beijing time of ``now`` (naive UTC) for file names: 20261202-133005."""
    moment = (now or utcnow()).replace(tzinfo=dt.UTC).astimezone(TZ)
    return moment.strftime("%Y%m%d-%H%M%S")


def _free_name(directory: Path, stem: str, suffix: str) -> Path:
    path = directory / f"{stem}{suffix}"
    n = 2
    while path.exists():
        path = directory / f"{stem}-{n}{suffix}"
        n += 1
    return path


def _private_dir(directory: Path) -> Path:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def _new_private_file(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def shown(url: str | URL) -> str:
    """A URL fit for output and logs: the password masked."""
    return make_url(url).render_as_string(hide_password=True)


# -- SQLite -----------------------------------------------------------------------------

def _read_only(path: Path) -> sqlite3.Connection:
    """Open ``path`` read-only (a URI, so a path with ? or # in it must be quoted)."""
    return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=30)


def _sqlite_file(url: str | URL) -> Path:
    path = sqlite_path(make_url(url))
    if path is None:
        raise BackupError("内存中的 SQLite 数据库无法备份或恢复")
    return path


def check_sqlite(path: Path) -> None:
    """Refuse a file that is not a sound SQLite database of this app."""
    try:
        conn = _read_only(path)
    except sqlite3.Error as error:
        raise BackupError(f"{path} 无法打开：{error}") from None
    try:
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            raise BackupError(f"{path} 已损坏：{'；'.join(integrity[:5])}")
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise BackupError(f"{path} 有 {len(broken)} 处外键不一致（如表 {broken[0][0]}）")
        if conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'"
                        ).fetchone()[0] != 1:
            raise BackupError(f"{path} 不是本平台的数据库（没有 alembic_version 表）")
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} 不是可用的 SQLite 数据库：{error}") from None
    finally:
        conn.close()


def _sqlite_copy(source: sqlite3.Connection, target: Path, *, journal: str) -> None:
    """The whole of ``source`` into the file ``target`` (created 0600), one snapshot."""
    if not target.exists():
        _new_private_file(target)
    dest = sqlite3.connect(target, timeout=30)
    try:
        source.backup(dest)  # pages=-1: one step, one read transaction on the source
        dest.execute(f"PRAGMA journal_mode={journal}")
        dest.commit()
    finally:
        dest.close()
    owner_only_database(target, create=False)


def _backup_sqlite(url: str, to_dir: Path, now: dt.datetime | None) -> Path:
    live = _sqlite_file(url)
    if not live.exists():
        raise BackupError(f"数据库文件 {live} 不存在")
    final = _free_name(to_dir, f"{live.stem}-{stamp(now)}", live.suffix or ".db")
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    source = _read_only(live)
    try:
        _finish(tmp, final, lambda: _sqlite_copy(source, tmp, journal="DELETE"), check_sqlite)
    finally:
        source.close()
    return final


def _sqlite_has_data(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    conn = _read_only(path)
    try:
        return bool(conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                 ).fetchone()[0])
    except sqlite3.DatabaseError:
        return True  # not a database, but something: never overwrite it unasked
    finally:
        conn.close()


def _restore_sqlite(source_file: Path, url: str, now: dt.datetime | None) -> Path | None:
    check_sqlite(source_file)
    target = _sqlite_file(url)
    _private_dir(target.parent)
    previous = None
    if _sqlite_has_data(target):
        previous = _free_name(target.parent, f"{target.name}.before-restore-{stamp(now)}", "")
        live = sqlite3.connect(target, timeout=30)
        try:
            _sqlite_copy(live, previous, journal="DELETE")
        finally:
            live.close()
    source = _read_only(source_file)
    try:
        # Through the backup API, not a file copy: other connections to the live
        # file (and its -wal) see the new content instead of a torn file.
        _sqlite_copy(source, target, journal="WAL")
    finally:
        source.close()
    check_sqlite(target)
    return previous


# -- PostgreSQL -------------------------------------------------------------------------

def find_tool(name: str) -> str:
    """``pg_dump``/``pg_restore``: on PATH, else the newest Debian server's bindir."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name
                        .isdigit() else 0, reverse=True)
    if not candidates:
        raise BackupError(f"找不到 {name}：请安装 postgresql-client")
    return str(candidates[0])


def pg_environment(url: str | URL) -> tuple[dict[str, str], str]:
    """The libpq environment for ``url`` (password included) and the database name."""
    parsed = make_url(url)
    env = dict(os.environ)
    for key, value in (("PGHOST", parsed.host or parsed.query.get("host")),
                       ("PGPORT", parsed.port), ("PGUSER", parsed.username),
                       ("PGPASSWORD", parsed.password)):
        if value:
            env[key] = str(value if not isinstance(value, tuple) else value[0])
    if not parsed.database:
        raise BackupError(f"数据库地址没有库名：{shown(parsed)}")
    return env, parsed.database


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        # args never hold a password, so they may be shown.
        raise BackupError(f"{Path(args[0]).name} 失败（{done.returncode}）："
                          f"{done.stderr.strip()[-2000:]}")
    return done


def check_dump(path: Path) -> None:
    listing = _run([find_tool("pg_restore"), "--list", str(path)], dict(os.environ)).stdout
    if "alembic_version" not in listing:
        raise BackupError(f"{path} 不是本平台数据库的备份（没有 alembic_version 表）")


def _finish(tmp: Path, final: Path, write: Callable[[], object],
            check: Callable[[Path], object]) -> None:
    """Write into ``tmp``, check it, make it durable, then give it its final name;
    a failed or unchecked backup never carries a backup's name."""
    try:
        write()
        check(tmp)
        _fsync(tmp)
        tmp.rename(final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _dump(url: str | URL, final: Path) -> None:
    env, database = pg_environment(url)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    _new_private_file(tmp)  # pg_dump truncates and writes into it: the mode stays 0600
    _finish(tmp, final, lambda: _run([find_tool("pg_dump"), "--format=custom", "--no-password",
                                      "--file", str(tmp), "--dbname", database], env),
            check_dump)


def _pg_has_data(url: str | URL) -> bool:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return bool(conn.scalar(text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")))
    finally:
        engine.dispose()


def _restore_pg(source_file: Path, url: str, now: dt.datetime | None) -> Path | None:
    check_dump(source_file)
    env, database = pg_environment(url)
    previous = None
    if _pg_has_data(url):
        previous = _free_name(source_file.parent, f"{database}.before-restore-{stamp(now)}",
                              ".dump")
        _dump(url, previous)
    _run([find_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", "--no-password", "--dbname", database,
          str(source_file)], env)
    return previous


# -- the two operations -----------------------------------------------------------------

def dialect_of(url: str | URL) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"不支持的数据库：{name}")
    return name


def backup(url: str, to_dir: Path, *, now: dt.datetime | None = None) -> BackupFile:
    """A checked backup of the database at ``url`` into ``to_dir`` (made 0700 if new)."""
    started = time.perf_counter()
    _private_dir(to_dir)
    if dialect_of(url) == "sqlite":
        path = _backup_sqlite(url, to_dir, now)
    else:
        path = _free_name(to_dir, f"{make_url(url).database}-{stamp(now)}", ".dump")
        _dump(url, path)
    return BackupFile(path, path.stat().st_size, time.perf_counter() - started)


def has_data(url: str) -> bool:
    """Whether a restore into ``url`` would overwrite tables."""
    return _sqlite_has_data(_sqlite_file(url)) if dialect_of(url) == "sqlite" \
        else _pg_has_data(url)


def restore(source: Path, url: str, *, now: dt.datetime | None = None) -> Restored:
    """Replace the database at ``url`` with the backup ``source`` (checked first);
    the database it replaces is kept (``Restored.previous``)."""
    started = time.perf_counter()
    if not source.is_file():
        raise BackupError(f"备份文件 {source} 不存在")
    if dialect_of(url) == "sqlite":
        if source.suffix == ".dump":
            raise BackupError("这是 PostgreSQL 的备份，不能恢复到 SQLite")
        previous = _restore_sqlite(source, url, now)
    else:
        previous = _restore_pg(source, url, now)
    return Restored(shown(url), previous, time.perf_counter() - started)
