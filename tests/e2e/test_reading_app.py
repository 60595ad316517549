"""A member on a phone signs in, reads an article until it is credited, sees it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from learning_app.content.sync import read_manifest, sync
from learning_app.extensions import db
from tests.e2e.conftest import running_app, sign_in


@pytest.fixture
def app_server(site_dir: Path, port: int, tmp_path: Path) -> Iterator[str]:
    def articles() -> None:
        sync(db.session, read_manifest(site_dir / "learning-manifest.json"))

    # Articles need minutes of reading; the test reads for about a second.
    with running_app(site_dir, port, tmp_path / "e2e.db", member_code="E2E001",
                     member_name="李秀兰", overrides={"READING_REQUIRED_SECONDS_OVERRIDE": 1},
                     setup=articles) as url:
        yield url


def test_member_reads_an_article_and_sees_the_credit(app_server: str, phone: Any) -> None:
    page = phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.clock.install()  # drive the tracker's 15-second timer without waiting for it
    sign_in(page, app_server, "E2E001")
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
