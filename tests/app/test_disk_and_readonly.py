"""A full disk and a read-only database get a clear 503 (nothing saved), not a 500;
``/api/ping`` reports a database that can't take writes as unhealthy."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.pool import NullPool

from learning_app import create_app
from learning_app.errors import DISK_FULL, READ_ONLY, database_trouble
from learning_app.extensions import db
from learning_app.models import Article, CreditEntry, ReadingProgress
from learning_app.models.auth import SignIn
from learning_app.ops.backup import backup
from learning_app.ops.health import DISK_NEARLY_FULL
from tests.app.conftest import PASSWORD, MakeMember, csrf_from, login

VIEW = "view-disk-0001"
WRITES = ("INSERT", "UPDATE", "DELETE")


def real_disk_full_error() -> sqlite3.OperationalError:
    """SQLite's own SQLITE_FULL: a database not allowed to grow past its pages."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (x)")
    conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
    try:
        for _ in range(100):
            conn.execute("INSERT INTO t VALUES (?)", ("x" * 1000,))
    except sqlite3.OperationalError as error:
        return error
    finally:
        conn.close()
    raise AssertionError("SQLite did not run out of room")


def disk_full_error(dialect: str) -> Exception:
    if dialect == "sqlite":
        return real_disk_full_error()
    import psycopg

    return psycopg.errors.DiskFull(
        'could not extend file "base/16384/16512": No space left on device')


@pytest.fixture
def full_disk(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Calling it makes every write statement fail as on a full disk (the driver's
    own exception, raised where the driver would raise it)."""
    listeners: list[Any] = []

    def fill() -> None:
        error = disk_full_error(db.engine.dialect.name)
        if db.engine.dialect.name == "postgresql":
            # In the driver itself: the pipelined hot paths use psycopg directly.
            import psycopg

            execute = psycopg.Cursor.execute

            def refusing(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
                if str(query).lstrip().upper().startswith(WRITES):
                    raise error
                return execute(cursor, query, *args, **kwargs)

            monkeypatch.setattr(psycopg.Cursor, "execute", refusing)
            return

        def refuse(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.lstrip().upper().startswith(WRITES):
                raise error

        event.listen(db.engine, "before_cursor_execute", refuse)
        listeners.append(refuse)

    yield fill
    with app.app_context():
        for listener in listeners:
            event.remove(db.engine, "before_cursor_execute", listener)


def test_the_real_errors_are_recognised() -> None:
    assert database_trouble(real_disk_full_error()) == DISK_FULL
    path_error = sqlite3.OperationalError("attempt to write a readonly database")
    assert database_trouble(path_error) == READ_ONLY
    assert database_trouble(sqlite3.OperationalError("no such table: x")) is None
    assert database_trouble(ValueError("database or disk")) is None


def test_a_heartbeat_on_a_full_disk_says_so_and_saves_nothing(
        client: FlaskClient, make_member: MakeMember, article: Article,
        full_disk: Callable[[], None]) -> None:
    member = make_member()
    token = login(client, member)
    full_disk()
    response = client.post("/api/reading/heartbeat", json={
        "article_id": "liangbuchou-exit", "view_id": VIEW, "seq": 1},
        headers={"X-CSRFToken": token})
    assert response.status_code == 503
    assert response.get_json() == {"error": DISK_FULL}
    assert "磁盘已满" in DISK_FULL and "没有保存" in DISK_FULL
    assert db.session.scalar(select(func.count()).select_from(ReadingProgress)) == 0
    assert db.session.scalar(select(func.count()).select_from(CreditEntry)) == 0


def test_a_sign_in_on_a_full_disk_gets_a_page_that_says_so(
        client: FlaskClient, make_member: MakeMember,
        full_disk: Callable[[], None]) -> None:
    member = make_member()
    token = csrf_from(client.get("/app/login").get_data(as_text=True))
    full_disk()
    response = client.post("/app/login", data={"login": member.code, "password": PASSWORD,
                                               "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and DISK_FULL in page
    assert db.session.scalar(select(func.count()).select_from(SignIn)) == 0


def test_ping_is_healthy_and_reports_a_nearly_full_disk(
        app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "HEALTH_CHECK_SECONDS", 0)
    healthy = client.get("/api/ping")
    assert healthy.status_code == 200 and healthy.get_json() == {"ok": True}
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return  # the PostgreSQL server's disk is not ours to look at
    monkeypatch.setitem(app.config, "HEALTH_MIN_FREE_BYTES", 1 << 62)
    full = client.get("/api/ping")
    assert full.status_code == 503
    assert full.get_json() == {"ok": False, "error": DISK_NEARLY_FULL}


def test_ping_answers_from_its_cache_within_the_second(
        app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setitem(app.config, "HEALTH_CHECK_SECONDS", 60)
    app.extensions.pop("dj_health", None)
    monkeypatch.setattr("learning_app.ops.health.write_problem",
                        lambda *_a, **_k: calls.append(1))
    for _ in range(5):
        assert client.get("/api/ping").status_code == 200
    app.extensions.pop("dj_health", None)
    assert calls == [1]


# -- a read-only database -------------------------------------------------------------

@pytest.fixture
def read_only_client(app: Flask, make_member: MakeMember, tmp_path: Path
                     ) -> Iterator[tuple[FlaskClient, str]]:
    """A client of an app whose database takes no writes: SQLite opened with
    ``mode=ro`` (chmod does not bind root), PostgreSQL with
    ``default_transaction_read_only``."""
    code = make_member().code
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        copy = backup(url, tmp_path / "copy").path
        ro_app = create_app({"TESTING": True, "SECRET_KEY": "ro", "SITE_DIR": str(tmp_path),
                             "SQLALCHEMY_DATABASE_URI": f"sqlite:///file:{copy}?mode=ro&uri=true",
                             "HEALTH_CHECK_SECONDS": 0})
        with ro_app.app_context():
            yield ro_app.test_client(), code
            db.session.remove()
            db.engine.dispose()
        return
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        name = conn.scalar(text("SELECT current_database()"))
        conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        try:
            db.session.remove()
            db.engine.dispose()  # new connections start read-only
            app.config["HEALTH_CHECK_SECONDS"] = 0
            yield app.test_client(), code
        finally:
            app.config.pop("HEALTH_CHECK_SECONDS", None)
            conn.execute(text(f'ALTER DATABASE "{name}" RESET default_transaction_read_only'))
            db.session.remove()
            db.engine.dispose()
    admin.dispose()


def test_a_read_only_database_gets_a_clear_503_and_ping_says_unhealthy(
        read_only_client: tuple[FlaskClient, str]) -> None:
    client, code = read_only_client
    ping = client.get("/api/ping")
    assert ping.status_code == 503
    assert ping.get_json() == {"ok": False, "error": READ_ONLY}
    page = client.get("/app/login")
    assert page.status_code == 200  # reading still works
    response = client.post("/app/login", data={
        "login": code, "password": PASSWORD,
        "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 503 and READ_ONLY in response.get_data(as_text=True)


@pytest.mark.skipif(os.geteuid() == 0, reason="chmod does not bind root")
def test_a_database_file_without_write_permission_is_unhealthy(
        app: Flask, tmp_path: Path) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite"):
        pytest.skip("SQLite only")
    copy = backup(url, tmp_path / "copy").path
    copy.chmod(0o400)
    ro_app = create_app({"TESTING": True, "SECRET_KEY": "ro", "SITE_DIR": str(tmp_path),
                         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{copy}",
                         "HEALTH_CHECK_SECONDS": 0})
    with ro_app.app_context():
        ping = ro_app.test_client().get("/api/ping")
        db.engine.dispose()
    assert ping.status_code == 503 and ping.get_json()["ok"] is False
