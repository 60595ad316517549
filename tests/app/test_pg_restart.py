"""After a PostgreSQL restart the first requests succeed: the pool drops the
connections the server closed when it hands them out, without a pre-ping round trip."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from learning_app.devtools.pgserver import find_bindir
from learning_app.extensions import db
from learning_app.models import Article
from tests.app.conftest import MakeMember, login

VIEW = "view-restart-0001"


@pytest.fixture
def pg(app: Flask) -> str:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL only (--db postgres)")
    return str(url)


def requests_succeed(client: FlaskClient, token: str, seq: int) -> None:
    page = client.get("/app/")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    beat = client.post("/api/reading/heartbeat", json={
        "article_id": "liangbuchou-exit", "view_id": VIEW, "seq": seq},
        headers={"X-CSRFToken": token})
    assert beat.status_code == 200, beat.get_data(as_text=True)[:300]
    ping = client.get("/api/ping")
    assert ping.status_code == 200 and ping.get_json() == {"ok": True}


def fill_the_pool(client: FlaskClient, token: str) -> None:
    """Several requests, so the pool holds idle connections (the ones a restart kills)."""
    for seq in range(1, 4):
        requests_succeed(client, token, seq)
    assert db.engine.pool.checkedin() >= 1


def terminate_backends(url: str) -> int:
    """What a restart does to the pool: every other backend of the database ends
    (waiting until each is gone)."""
    admin = create_engine(url, poolclass=NullPool)
    try:
        with admin.connect() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).all())
    finally:
        admin.dispose()


def test_no_pre_ping_on_the_hot_path(pg: str, app: Flask) -> None:
    with app.app_context():
        assert db.engine.pool._pre_ping is False


def test_the_first_requests_after_the_backends_are_terminated_succeed(
        pg: str, app: Flask, client: FlaskClient, make_member: MakeMember,
        article: Article, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "HEALTH_CHECK_SECONDS", 0)
    token = login(client, make_member())
    fill_the_pool(client, token)
    db.session.remove()
    assert terminate_backends(pg) >= 1
    requests_succeed(client, token, 4)


def test_the_first_requests_after_a_server_restart_succeed(
        pg: str, app: Flask, client: FlaskClient, make_member: MakeMember,
        article: Article, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "HEALTH_CHECK_SECONDS", 0)
    token = login(client, make_member())
    fill_the_pool(client, token)
    data = Path(str(db.session.scalar(text("SHOW data_directory"))))
    db.session.remove()
    if not (data / "postmaster.pid").exists():
        pytest.skip("the server's data directory is not on this machine")
    user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    # A log file of its own: the restarted server must not hold our pipes open.
    subprocess.run([*user, str(find_bindir() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                    "-l", str(data.parent / "restart.log"), "restart"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    requests_succeed(client, token, 4)
