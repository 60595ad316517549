"""App fixtures: one migrated database per session, emptied after each test.

The schema comes from the Alembic migrations (as in production), on SQLite
by default and on PostgreSQL with ``--db postgres``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import Connection, delete, select, text

from learning_app import create_app
from learning_app.admin.memberships import leave_roll, open_membership, transfer
from learning_app.auth.passwords import hash_password
from learning_app.extensions import db
from learning_app.models import (
    Article,
    LevelReviewer,
    Member,
    NewsroomSetting,
    Organization,
    ReviewLevel,
)
from learning_app.models.orgs import add_organization
from tests.app.report_helpers import add_test, credit, took

PASSWORD = "Dangjian#2026"


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[str]:
    if request.config.getoption("--db") == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    if os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"]
        return
    from learning_app.devtools.pgserver import throwaway_postgres

    with throwaway_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    site = tmp_path_factory.mktemp("site")
    (site / "index.html").write_text("<h1>site</h1>", encoding="utf-8")
    newsroom = tmp_path_factory.mktemp("newsroom")  # never the tracked content/ or instance/
    (newsroom / "content").mkdir()
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SITE_DIR": str(site),
        "CONTENT_DIR": str(newsroom / "content"),
        "HUEY_SQLITE_PATH": str(newsroom / "jobs.db"),
        "HUEY_IMMEDIATE": True,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 64,
        "SECRET_KEY": "test-secret",
    })
    app.test_client_class = Client
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@contextlib.contextmanager
def audit_log_unlocked(conn: Connection) -> Iterator[None]:
    """SQLite: lift the audit log's append-only triggers for a test cleanup, then put
    them back (PostgreSQL's TRUNCATE is not a row delete and needs no lifting)."""
    triggers = conn.execute(text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND tbl_name = 'audit_events'")).all()
    for name, _ in triggers:
        conn.execute(text(f"DROP TRIGGER {name}"))
    try:
        yield
    finally:
        for _, sql in triggers:
            conn.execute(text(sql))


# Reference data the migrations seed; tests that change it put it back.
SEEDED = frozenset({"credit_targets", "newsroom_levels", "newsroom_settings"})


def empty_database(app: Flask) -> None:
    """Delete every row, except the reference data seeded by the migrations."""
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)
                  if t.name not in SEEDED]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                with audit_log_unlocked(conn):
                    for table in tables:
                        conn.execute(text(f"DELETE FROM {table}"))


def clear_audit_log() -> None:
    """Empty the append-only audit log, for tests that delete the members it names
    (TRUNCATE on PostgreSQL; on SQLite its triggers are lifted for the delete)."""
    db.session.commit()
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE audit_events"))
            return
        with audit_log_unlocked(conn):
            conn.execute(text("DELETE FROM audit_events"))


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty the database after each test that used the app.

    Except after tests marked ``shared_db``: they read data that a class- or
    module-scoped fixture loaded once for all of them, and that fixture calls
    ``empty_database`` itself when its scope ends.
    """
    yield
    if "app" not in request.fixturenames:
        return
    if request.node.get_closest_marker("shared_db") is None:
        empty_database(request.getfixturevalue("app"))


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app
        db.session.remove()


class Client(FlaskClient):
    """A test client whose requests start with an empty ``g``.

    Tests hold an app context for database work, and requests then reuse it;
    Flask-WTF's token and Flask-Login's user cached on ``g`` would leak from
    one request (or client) into the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            vars(g).clear()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Tree:
    """county → two townships → two villages each, and one department."""

    def __init__(self) -> None:
        self.orgs: dict[str, Organization] = {}

    def add(self, code: str, name: str, kind: str, parent: str | None) -> Organization:
        org = add_organization(db.session, code=code, name=name, kind=kind,
                               parent=self.orgs[parent] if parent else None)
        self.orgs[code] = org
        return org

    def __getitem__(self, code: str) -> Organization:
        return self.orgs[code]


@pytest.fixture
def tree(ctx: Flask) -> Tree:
    t = Tree()
    t.add("QC", "中共青川县委", "county", None)
    t.add("QC-LQ", "龙泉镇党委", "township", "QC")
    t.add("QC-LQ-01", "杨柳湾村党支部", "village", "QC-LQ")
    t.add("QC-LQ-02", "石门村党支部", "village", "QC-LQ")
    t.add("QC-SQ", "石桥乡党委", "township", "QC")
    t.add("QC-SQ-01", "青杠坪村党支部", "village", "QC-SQ")
    t.add("QC-SQ-02", "白果村党支部", "village", "QC-SQ")
    t.add("QC-D-RS", "县人社局党组", "department", "QC")
    db.session.commit()
    return t


MakeMember = Callable[..., Member]


@pytest.fixture
def make_member(ctx: Flask, tree: Tree) -> MakeMember:
    counter = iter(range(1, 100_000))

    def make(org: str = "QC-LQ-01", *, role: str = "member", scope: str | None = None,
             password: str | None = PASSWORD, name: str | None = None,
             since: dt.date = dt.date(2020, 1, 1), phone: str | None = None,
             **extra: Any) -> Member:
        n = next(counter)
        member = Member(code=f"M{n:05d}", name=name or f"党员{n}", phone=phone or f"1390000{n:04d}",
                        role=role, scope_org_id=tree[scope].id if scope else None,
                        # password=None: imported, not yet activated (no way to sign in
                        # until a one-time activation code is used, auth/activation.py).
                        password_hash=hash_password(password) if password else None,
                        must_change_password=extra.pop("must_change_password", password is None),
                        **extra)
        db.session.add(member)
        db.session.flush()
        open_membership(db.session, member, tree[org], since)
        db.session.commit()
        return member

    return make


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: FlaskClient, member: Member, password: str = PASSWORD) -> str:
    """Sign in through the real form; returns a CSRF token for later posts."""
    page = client.get("/app/login")
    token = csrf_from(page.get_data(as_text=True))
    response = client.post("/app/login", data={"login": member.code, "password": password,
                                               "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client.get("/api/reading/session").get_json()["csrf_token"]


@pytest.fixture
def article(ctx: Flask) -> Article:
    item = Article(id="liangbuchou-exit", title="贫困户退出“两不愁三保障”标准解读",
                   url="/column/2026-11/liangbuchou-exit/", section="column", issue="2026-11",
                   category="knowledge", published=dt.date(2026, 11, 3), chars=1000,
                   required_seconds=60, credit_hours=0.5)
    db.session.add(item)
    db.session.commit()
    return item


def site_root(app: Flask) -> Path:
    return Path(app.config["SITE_DIR"])


@pytest.fixture
def county(tree: Tree, make_member: MakeMember) -> dict[str, Member]:
    """Seven members of 龙泉镇 (LQ-01, LQ-02) and 石桥乡 (SQ-01) with a known 2026.

    Their participation figures are computed by hand in test_reports.py; the
    report pages and exports are checked against the same numbers."""
    add_test("2026-H1", "2026-05-10T08:00:00+08:00")
    add_test("2026-H2", "2026-11-23T08:00:00+08:00")
    people = {
        "a": make_member("QC-LQ-01"),
        "b": make_member("QC-LQ-01", category="secretary"),
        "c": make_member("QC-LQ-01", exempt=True, exempt_reason="年老体弱"),
        "d": make_member("QC-LQ-01"),
        "e": make_member("QC-LQ-02", since=dt.date(2026, 12, 1)),
        "f": make_member("QC-LQ-02"),
        "g": make_member("QC-SQ-01"),
    }
    p = people
    credit(p["a"], "QC-LQ-01", tree, "2026-03-02", "2", "a-march")  # H1: not in H2
    credit(p["a"], "QC-LQ-01", tree, "2026-08-05", "10", "a-aug")
    credit(p["b"], "QC-LQ-01", tree, "2026-09-01", "30", "b-sep")
    credit(p["c"], "QC-LQ-01", tree, "2026-09-02", "3", "c-sep")
    credit(p["d"], "QC-LQ-01", tree, "2026-09-10", "4", "d-sep")
    transfer(db.session, p["d"], tree["QC-SQ-01"], dt.date(2026, 10, 1))
    db.session.commit()
    credit(p["d"], "QC-SQ-01", tree, "2026-11-01", "5", "d-nov")
    credit(p["e"], "QC-LQ-02", tree, "2026-12-05", "3", "e-dec")
    credit(p["f"], "QC-LQ-02", tree, "2026-09-03", "2", "f-sep")
    leave_roll(db.session, p["f"], "deceased", dt.date(2026, 10, 15))
    db.session.commit()
    took(p["a"], "2026-H2", True, "2026-11-25")
    took(p["b"], "2026-H2", False, "2026-11-26")
    took(p["g"], "2026-H1", True, "2026-07-02")  # the H1 test, handed in during H2
    return people


SEEDED_LEVELS = [(1, "初审"), (2, "复审"), (3, "终审签发")]


@pytest.fixture(autouse=True)
def _seeded_levels_back(request: pytest.FixtureRequest) -> Iterator[None]:
    """The newsroom's levels and settings are seeded by the migration and kept
    between tests (``SEEDED``): after a newsroom test, put them back as seeded."""
    app = request.getfixturevalue("app") if "newsroom" in request.module.__name__ else None
    yield
    if app is None:
        return
    with app.app_context():
        db.session.rollback()
        db.session.execute(delete(LevelReviewer))
        db.session.execute(delete(ReviewLevel).where(ReviewLevel.position > 3))
        for position, name in SEEDED_LEVELS:
            level = db.session.scalar(select(ReviewLevel).where(ReviewLevel.position == position))
            if level is None:
                db.session.add(ReviewLevel(position=position, name=name))
            else:
                level.name = name
        setting = db.session.get(NewsroomSetting, "stale_days")
        if setting is not None:
            setting.value = {"news": 14, "policy": 183}
        db.session.commit()
        db.session.remove()
