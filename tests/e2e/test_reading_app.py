"""A member on a phone signs in, reads an article until it is credited, sees it."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from learning_app import create_app
from learning_app.auth.passwords import hash_password
from learning_app.content.sync import read_manifest, sync
from learning_app.extensions import db
from learning_app.memberships import open_membership
from learning_app.models import Member, Organization

PASSWORD = "Reader#2026"


@pytest.fixture
def app_server(site_dir: Path, port: int, tmp_path: Path) -> Iterator[str]:
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e2e.db'}",
        "SITE_DIR": str(site_dir), "SECRET_KEY": "e2e", "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 64,
        # Articles need minutes of reading; the test reads for about a second.
        "READING_REQUIRED_SECONDS_OVERRIDE": 1,
    })
    with app.app_context():
        upgrade()
        sync(db.session, read_manifest(site_dir / "learning-manifest.json"))
        org = Organization(code="QC", name="中共青川县委", kind="county", path="/1/", depth=0)
        db.session.add(org)
        db.session.flush()
        member = Member(code="E2E001", name="李秀兰", phone="13900001111",
                        password_hash=hash_password(PASSWORD), must_change_password=False)
        db.session.add(member)
        db.session.flush()
        open_membership(db.session, member, org, dt.date(2020, 1, 1))
        db.session.commit()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()


def test_member_reads_an_article_and_sees_the_credit(app_server: str, phone: Any) -> None:
    page = phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.clock.install()  # drive the tracker's 15-second timer without waiting for it
    page.goto(app_server + "/app/login")
    page.fill("input[name=login]", "E2E001")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(app_server + "/app/")
    assert page.locator("[data-testid=total-hours]").inner_text() == "0"
    next_article = page.locator(".next a.button")
    title = next_article.inner_text()
    with page.expect_response(lambda r: "/api/reading/heartbeat" in r.url) as opening:
        next_article.click()
    assert opening.value.json()["accepted"] is True  # opens this view's span
    page.wait_for_timeout(1500)  # real reading time, which is what the server counts
    page.mouse.wheel(0, 300)  # the reader is active
    with page.expect_response(lambda r: "/api/reading/heartbeat" in r.url) as beat:
        page.clock.run_for(16_000)
    assert beat.value.json()["credited"] is True
    page.wait_for_selector(".dj-reading[data-dj-state=credited]")
    assert "本文已计入学时" in page.inner_text(".dj-reading-status")
    page.goto(app_server + "/app/")
    readings = page.inner_text("[data-testid=readings]")
    assert title in readings
    assert page.locator("[data-testid=total-hours]").inner_text() != "0"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    assert errors == []
