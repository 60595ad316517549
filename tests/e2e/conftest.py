"""Browser tests: Debian's chromium driven by Playwright, against a local server.

Skipped (with the reason) when Debian's chromium is missing on a developer's
machine; under CI (CI set) that is a failure: .ci/run installs it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from tests.conftest import ROOT, TODAY
from tests.sitebuild import mkdocs_build

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]


@dataclass
class FakeApp:
    """Stands in for the learning app's reading API: records what arrives."""

    enabled: bool = False
    beats: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, beat: dict[str, Any]) -> None:
        with self.lock:
            self.beats.append(beat)


class Handler(SimpleHTTPRequestHandler):
    app: FakeApp
    api_requests: list[str]

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.startswith("/api/"):
            self.api_requests.append("GET " + self.path)
            if self.app.enabled and self.path == "/api/reading/session":
                return self._json(200, {"csrf_token": "token-123"})
            return self._json(404, {"error": "not found"})
        return super().do_GET()

    def do_POST(self) -> None:
        self.api_requests.append("POST " + self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        if not (self.app.enabled and self.path == "/api/reading/heartbeat"):
            return self._json(404, {"error": "not found"})
        kind = self.headers.get("Content-Type", "")
        body = json.loads(raw) if kind.startswith("application/json") else dict(parse_qsl(raw))
        body["_csrf"] = self.headers.get("X-CSRFToken") or body.get("csrf_token")
        body["_type"] = kind.split(";")[0]
        self.app.record(body)
        return self._json(200, {"credited": False, "credit_hours": 0.1})


@dataclass
class Server:
    url: str
    app: FakeApp
    api_requests: list[str]


@pytest.fixture(scope="session")
def port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory, port: int) -> Path:
    # site_url must match the served origin: Material's instant navigation
    # only intercepts links to pages listed in sitemap.xml.
    project = tmp_path_factory.mktemp("e2e")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    shutil.copytree(ROOT / "content", project / "content")
    result = mkdocs_build(project, today=TODAY, site_url=f"http://127.0.0.1:{port}/")
    assert result.returncode == 0, result.stderr
    return project / "site"


@pytest.fixture
def server(site_dir: Path, port: int) -> Iterator[Server]:
    app, requests = FakeApp(), []
    handler = type("BoundHandler", (Handler,), {"app": app, "api_requests": requests})
    httpd = ThreadingHTTPServer(("127.0.0.1", port), partial(handler, directory=str(site_dir)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", app, requests)
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    missing = not Path(CHROMIUM).exists()
    if missing and os.environ.get("CI"):
        pytest.fail(f"no chromium at {CHROMIUM}: .ci/run must install Debian's chromium")
    if missing:
        pytest.skip(f"no chromium at {CHROMIUM}: apt-get install chromium (as .ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    yield context
    context.close()


READER_PASSWORD = "Reader#2026"


@contextlib.contextmanager
def running_app(site_dir: Path, port: int, db_path: Path, *, member_code: str,
                member_name: str, overrides: dict[str, Any] | None = None,
                setup: Callable[[], None] | None = None) -> Iterator[str]:
    """The real app on the site's origin, with one signed-up member; yields its URL.

    ``setup`` runs inside the app context to add what a test needs (articles,
    quizzes). The member's password is READER_PASSWORD.
    """
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from learning_app import create_app
    from learning_app.admin.memberships import open_membership
    from learning_app.auth.passwords import hash_password
    from learning_app.extensions import db
    from learning_app.models import Member, Organization

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "SITE_DIR": str(site_dir),
        "SECRET_KEY": "e2e", "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 64,
        **(overrides or {}),
    })
    with app.app_context():
        upgrade()
        org = Organization(code="QC", name="中共青川县委", kind="county", path="/1/", depth=0)
        db.session.add(org)
        db.session.flush()
        member = Member(code=member_code, name=member_name, phone="13900001111",
                        password_hash=hash_password(READER_PASSWORD),
                        must_change_password=False)
        db.session.add(member)
        db.session.flush()
        open_membership(db.session, member, org, dt.date(2020, 1, 1))
        db.session.commit()
        if setup:
            setup()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()


def sign_in(page: Any, base_url: str, code: str) -> None:
    """Sign in through the real form and land on 我的学习."""
    page.goto(base_url + "/app/login")
    page.fill("input[name=login]", code)
    page.fill("input[name=password]", READER_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/app/")
