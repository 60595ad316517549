"""Issue 11, finding 10 in a real browser: hostile titles stay text, the CSP breaks nothing."""

from __future__ import annotations

import functools
import json
import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from learning_app.content.sync import read_manifest, sync
from learning_app.extensions import db
from tests.conftest import ROOT, TODAY, article
from tests.e2e.conftest import running_app, sign_in
from tests.sitebuild import mkdocs_build

HOSTILE = ('恶意标题 <script>window.__pwned=1;alert(1)</script>">'
           '<img src=x onerror="window.__pwned=2;alert(2)">')
ARTICLE = "/column/2026-11/liangbuchou-exit/"


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    project = tmp_path_factory.mktemp("xss")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    files = {
        "column/2026-11/evil.md": article(title=json.dumps(HOSTILE), category="knowledge",
                                          tags=json.dumps(['<img src=x onerror="alert(3)">']),
                                          id="evil"),
        "news/plain.md": article(title="普通新闻"),
        "index.md": "---\ntitle: 首页\n---\n\n# 首页\n\n<!-- dj:latest-issue -->\n",
    }
    for rel, text in files.items():
        (project / "content" / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / "content" / rel).write_text(text, encoding="utf-8")
    result = mkdocs_build(project, today=TODAY, site_url=f"http://127.0.0.1:{port}/")
    assert result.returncode == 0, result.stderr
    handler = functools.partial(Quiet, directory=str(project / "site"))
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def watch(page: Any) -> list[str]:
    """Everything that went wrong: console errors and warnings (CSP violations
    among them), page errors, and any dialog a script opened."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(f"{m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: seen.append(f"pageerror: {e}"))
    page.on("dialog", lambda d: (seen.append(f"dialog: {d.message}"), d.dismiss()))
    return seen


def search(page: Any, query: str) -> list[str]:
    page.click(".md-search__input")
    page.fill(".md-search__input", query)
    page.keyboard.press("End")  # Material's search listens for key presses
    page.wait_for_selector(".md-search-result__item")
    return page.locator(".md-search-result__item h1").all_inner_texts()


def test_a_hostile_title_shows_as_text_and_runs_nothing(hostile_url: str, browser: Any
                                                         ) -> None:
    page = browser.new_page()
    seen = watch(page)
    page.goto(hostile_url + "/column/2026-11/evil/")
    page.wait_for_load_state("networkidle")
    title_text = HOSTILE.replace("\u200b", "")
    assert page.title().startswith(title_text)
    assert page.inner_text("article h1") == title_text
    assert title_text in page.inner_text(".md-header__title")
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    # Material's search renders titles and tags from its index as HTML
    results = [r.replace("\u200b", "") for r in search(page, "恶意")]
    assert any("<script>window.__pwned=1" in r for r in results), results
    page.wait_for_timeout(300)
    assert page.locator("img[src=x]").count() == 0
    for path in ("/", "/column/2026-11/", "/column/2026-11/booklet/", "/tags/"):
        page.goto(hostile_url + path)
        page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert seen == []


def test_the_real_site_works_under_its_policy(server: Any, phone: Any) -> None:
    """Search, instant navigation, the tracker's calls to /api/: no CSP violation."""
    server.app.enabled = True
    phone.add_cookies([{"name": "dj_reader", "value": "1", "url": server.url}])
    page = phone.new_page()
    seen = watch(page)
    for path in ("/", "/column/2026-11/booklet/", "/policy/plan-text/", "/404.html"):
        page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
        assert page.locator("meta[http-equiv=Content-Security-Policy]").count() == 1
    page.goto(server.url + "/column/2026-11/")
    page.wait_for_load_state("networkidle")
    page.evaluate("window.__sameDocument = true")
    page.click(f"a[href$='{ARTICLE}']")
    page.wait_for_url(server.url + ARTICLE)
    page.wait_for_function("document.querySelector('.dj-reading') !== null")
    assert page.evaluate("window.__sameDocument") is True  # instant navigation ran
    page.wait_for_timeout(500)
    assert any(b["article_id"] == "liangbuchou-exit" for b in server.app.beats)
    page.click("label[for=__search]")
    assert search(page, "扶贫")
    assert seen == []


@pytest.fixture
def app_url(site_dir: Path, port: int, tmp_path: Path) -> Iterator[str]:
    def articles() -> None:
        sync(db.session, read_manifest(site_dir / "learning-manifest.json"))

    with running_app(site_dir, port, tmp_path / "xss.db", member_code="XSS001",
                     member_name="王建国", setup=articles) as url:
        yield url


def test_the_app_serves_the_site_with_the_header_and_reading_works(app_url: str, phone: Any
                                                                   ) -> None:
    page = phone.new_page()
    sign_in(page, app_url, "XSS001")
    seen = watch(page)  # from the site on (the app's pages have no favicon)
    with page.expect_response(lambda r: "/api/reading/heartbeat" in r.url) as beat:
        response = page.goto(app_url + ARTICLE)
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in policy and "'unsafe-inline'" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert beat.value.ok
    page.wait_for_load_state("networkidle")
    assert seen == []
