"""Backups that restore: ``flask backup`` / ``flask restore`` on SQLite and PostgreSQL,
under write load; instance/ and the database files readable by their owner only."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
import threading
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from learning_app import settings
from learning_app.credits.ledger import award
from learning_app.db import configure_engine
from learning_app.extensions import db
from learning_app.models import AuditEvent, CreditEntry
from learning_app.ops.backup import BackupError, backup, check_sqlite, restore
from learning_app.quiz.attempts import save_for, start_attempt
from tests.app.conftest import MakeMember
from tests.app.quiz_helpers import LIVE, correct, load

T0 = dt.datetime(2026, 12, 1, 2, 0)  # inside LIVE's window; saves go T0 + i ms


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def quizzes(ctx: Flask, tmp_path: Path) -> Path:
    root = tmp_path / "quizzes"
    load(root, LIVE)
    return root


@pytest.fixture
def fresh_url(app: Flask, tmp_path: Path) -> Iterator[str]:
    """An empty database to restore into: a new SQLite file, or a new database on
    the test's PostgreSQL server."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"restored_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _filler(member_id: int, org_id: int, n: int) -> None:
    """Enough ledger rows that a backup takes a while and the writers overlap it."""
    db.session.execute(insert(CreditEntry.__table__), [
        {"member_id": member_id, "org_id": org_id, "source_type": "correction",
         "source_key": f"correction:filler-{i}", "hours": Decimal("0.1"),
         "earned_at": T0, "earned_on": T0.date(), "note": "填充" * 40} for i in range(n)])
    db.session.commit()


def test_a_backup_under_write_load_restores_every_acknowledged_write(
        app: Flask, quizzes: Path, make_member: MakeMember, tmp_path: Path,
        fresh_url: str) -> None:
    members = [make_member() for _ in range(3)]
    attempts = [start_attempt(db.session, "live", m, T0) for m in members]
    plan = [(a.id, m.id, m.org_id, correct(a.id)) for a, m in zip(attempts, members, strict=True)]
    _filler(members[0].id, members[0].org_id, 6000)
    db.session.remove()

    stop = threading.Event()
    # (acknowledged at, what): appended only after the commit returned.
    ledger_acks: list[tuple[float, str]] = []
    answer_acks: list[tuple[float, int, int, dt.datetime]] = []
    errors: list[BaseException] = []

    def ledger_writer(n: int) -> None:
        member_id, org_id = plan[n][1], plan[n][2]
        with app.app_context():
            try:
                for i in range(1_000_000):
                    if stop.is_set():
                        break
                    key = f"correction:load-{n}-{i}"
                    award(db.session, member_id=member_id, org_id=org_id,
                          source_type="correction", source_key=key, hours=Decimal("0.1"),
                          earned_at=T0)
                    db.session.commit()
                    ledger_acks.append((time.monotonic(), key))
            except BaseException as error:
                errors.append(error)
            finally:
                db.session.remove()

    def answer_writer() -> None:
        with app.app_context():
            i = 0
            try:
                while not stop.is_set():
                    for attempt_id, member_id, _org, keys in plan:
                        for position, response in keys.items():
                            i += 1
                            now = T0 + dt.timedelta(milliseconds=i)
                            save_for(db.session, attempt_id, member_id, position, response, now)
                            answer_acks.append((time.monotonic(), attempt_id, position, now))
            except BaseException as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=ledger_writer, args=(n,)) for n in range(2)]
    threads.append(threading.Thread(target=answer_writer))
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 30
        while (len(ledger_acks) < 20 or len(answer_acks) < 20) and time.monotonic() < deadline:
            stop.wait(0.01)
        began = time.monotonic()
        made = backup(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "backups")
        ended = time.monotonic()
        after = len(ledger_acks) + len(answer_acks)
        while len(ledger_acks) + len(answer_acks) < after + 20 and time.monotonic() < deadline:
            stop.wait(0.01)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert errors == []
    assert mode(made.path) == 0o600 and made.size > 0
    # The writers were not held off: some writes were acknowledged while it ran.
    assert any(began <= ack[0] <= ended for ack in [*ledger_acks, *answer_acks])

    restored = restore(made.path, fresh_url)
    assert restored.previous is None  # a fresh database: nothing to keep
    engine = create_engine(fresh_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            keys = set(conn.scalars(text(
                "SELECT source_key FROM credit_entries WHERE source_key LIKE 'correction:load-%'")))
            saved = {(a, p): s for a, p, s in conn.execute(text(
                "SELECT attempt_id, position, saved_at FROM quiz_attempt_answers"))}
            orphans = conn.scalar(text(
                "SELECT (SELECT count(*) FROM quiz_attempt_answers a LEFT JOIN quiz_attempts q"
                " ON q.id = a.attempt_id WHERE q.id IS NULL)"
                " + (SELECT count(*) FROM credit_entries c LEFT JOIN members m"
                " ON m.id = c.member_id WHERE m.id IS NULL)"))
            fillers = conn.scalar(text(
                "SELECT count(*) FROM credit_entries WHERE source_key LIKE 'correction:filler-%'"))
    finally:
        engine.dispose()
    before = [key for at, key in ledger_acks if at < began]
    assert before and set(before) <= keys
    latest: dict[tuple[int, int], dt.datetime] = {}
    for at, attempt_id, position, now in answer_acks:
        if at < began:
            latest[(attempt_id, position)] = now
    assert latest
    for where, now in latest.items():
        assert where in saved, where
        copy = saved[where]
        copy = copy if isinstance(copy, dt.datetime) else dt.datetime.fromisoformat(str(copy))
        assert copy >= now, (where, copy, now)
    assert orphans == 0 and fillers == 6000
    if fresh_url.startswith("sqlite"):
        check_sqlite(Path(make_url(fresh_url).database or ""))  # integrity, foreign keys


def test_the_commands_back_up_refuse_to_overwrite_and_restore_with_an_audit_trail(
        app: Flask, make_member: MakeMember, tmp_path: Path, fresh_url: str) -> None:
    make_member()
    runner = app.test_cli_runner()
    made = runner.invoke(args=["backup", "--to", str(tmp_path / "backups")])
    assert made.exit_code == 0, made.output
    (path,) = [p for p in (tmp_path / "backups").iterdir() if not p.name.startswith(".")]
    assert str(path) in made.output and "已校验" in made.output
    assert mode(path) == 0o600 and mode(tmp_path / "backups") == 0o700
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "backup")
                             ) == f"{path}（{path.stat().st_size}字节）"
    # The live database has data: no overwrite without --yes.
    refused = runner.invoke(args=["restore", "--from", str(path)])
    assert refused.exit_code != 0 and "--yes" in refused.output
    done = runner.invoke(args=["restore", "--from", str(path), "--into", fresh_url])
    assert done.exit_code == 0, done.output
    engine = create_engine(fresh_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            events = conn.execute(text("SELECT action, actor FROM audit_events "
                                       "WHERE action IN ('backup', 'restore')")).all()
            members = conn.scalar(text("SELECT count(*) FROM members"))
    finally:
        engine.dispose()
    # The backup predates its own event; the restore records itself in what it restored.
    assert [tuple(row) for row in events] == [("restore", "命令行")] and members == 1
    # Restoring again over data now needs --yes, and keeps what it replaces.
    again = runner.invoke(args=["restore", "--from", str(path), "--into", fresh_url])
    assert again.exit_code != 0 and "--yes" in again.output


def test_a_sqlite_restore_keeps_the_database_it_replaces(tmp_path: Path) -> None:
    live = tmp_path / "数据 #1" / "portal.db"  # a path a file: URI must quote
    live.parent.mkdir()
    conn = sqlite3.connect(live)
    conn.executescript("PRAGMA journal_mode=WAL; CREATE TABLE alembic_version (version_num);"
                       "CREATE TABLE t (x); INSERT INTO t VALUES ('backed up');")
    conn.close()
    made = backup(f"sqlite:///{live}", tmp_path / "b")
    conn = sqlite3.connect(live)
    conn.execute("INSERT INTO t VALUES ('after the backup')")
    conn.commit()
    conn.close()
    done = restore(made.path, f"sqlite:///{live}")
    assert done.previous is not None and ".before-restore-" in done.previous.name
    rows = sqlite3.connect(live).execute("SELECT x FROM t ORDER BY x").fetchall()
    kept = sqlite3.connect(done.previous).execute("SELECT x FROM t ORDER BY x").fetchall()
    assert rows == [("backed up",)] and kept == [("after the backup",), ("backed up",)]
    assert mode(done.previous) == 0o600


def test_a_damaged_or_foreign_file_is_refused_before_anything_is_overwritten(
        tmp_path: Path) -> None:
    live = tmp_path / "portal.db"
    conn = sqlite3.connect(live)
    conn.executescript("CREATE TABLE alembic_version (version_num); CREATE TABLE t (x);"
                       "INSERT INTO t VALUES (1);")
    conn.close()
    before = live.read_bytes()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).executescript("CREATE TABLE other (y);")
    for bad in (garbage, foreign):
        with pytest.raises(BackupError):
            restore(bad, f"sqlite:///{live}")
    assert live.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if ".before-restore-" in p.name]


def test_instance_and_database_files_are_owner_only(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    old = os.umask(0o022)  # a usual umask: what we make must not depend on it
    try:
        instance = tmp_path / "instance"
        key = settings.load(instance, tmp_path)["SECRET_KEY"]
        url = settings.database_url(instance)
        assert key and mode(instance) == 0o700 and mode(instance / "secret_key") == 0o600
        engine = create_engine(url, poolclass=NullPool)
        configure_engine(engine)
        with engine.begin() as conn:  # WAL: creates -wal and -shm beside the file
            conn.execute(text("CREATE TABLE t (x)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            files = {p.name: mode(p) for p in instance.iterdir()}
        engine.dispose()
        assert files == {"secret_key": 0o600, "portal.db": 0o600, "portal.db-wal": 0o600,
                         "portal.db-shm": 0o600}
        # A database file made before this rule, readable by all, is tightened.
        loose = tmp_path / "old" / "portal.db"
        loose.parent.mkdir()
        loose.touch(mode=0o644)
        loose.chmod(0o644)
        old_dir = tmp_path / "old-instance"
        old_dir.mkdir(mode=0o755)
        old_dir.chmod(0o755)
        (old_dir / "secret_key").write_text("k" * 64, encoding="utf-8")
        (old_dir / "secret_key").chmod(0o644)
        assert settings.load(old_dir, tmp_path)["SECRET_KEY"] == "k" * 64
        settings.private_instance(old_dir)
        engine = create_engine(f"sqlite:///{loose}", poolclass=NullPool)
        configure_engine(engine)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        assert mode(loose) == 0o600 and mode(old_dir) == 0o700
        assert mode(old_dir / "secret_key") == 0o600
    finally:
        os.umask(old)
