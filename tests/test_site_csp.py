"""Issue 11, finding 10: the site's Content-Security-Policy, built and served."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from site_builder import csp
from tests.conftest import ROOT, TODAY
from tests.sitebuild import mkdocs_build

MATERIAL = Path(__import__("material").__file__).parent / "templates"
META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')


@pytest.fixture(scope="module")
def real_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("csp")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    shutil.copytree(ROOT / "content", project / "content")
    result = mkdocs_build(project, today=TODAY)
    assert result.returncode == 0, result.stderr  # the real content passes the HTML rule
    return project / "site"


def directives(policy: str) -> dict[str, list[str]]:
    parts = [d.split() for d in policy.split(";") if d.strip()]
    return {p[0]: p[1:] for p in parts}


def test_every_page_allows_exactly_its_own_inline_scripts(real_site: Path) -> None:
    header = directives((real_site / csp.CSP_FILE).read_text(encoding="utf-8"))
    pages = sorted(real_site.rglob("*.html"))
    assert len(pages) > 30
    seen: set[str] = set()
    for page in pages:
        html = page.read_text(encoding="utf-8")
        metas = META.findall(html)
        assert len(metas) == 1, page
        # before any script: a meta policy only governs what follows it
        assert html.index("Content-Security-Policy") < html.index("<script"), page
        policy = directives(metas[0])
        scripts = csp.inline_scripts(html)
        assert scripts, page  # Material's own inline scripts are there
        hashes = {csp.script_hash(body) for body in scripts}
        assert set(policy["script-src"]) == {"'self'"} | hashes, page
        assert "'unsafe-inline'" not in policy["script-src"] + policy["style-src"]
        assert "frame-ancestors" not in policy  # ignored in <meta>
        assert policy["object-src"] == ["'none'"]
        seen |= hashes
    assert set(header["script-src"]) == {"'self'"} | seen
    assert header["frame-ancestors"] == ["'self'"]
    sources = {s for v in header.values() for s in v}
    assert all(s.startswith("'") or s == "data:" for s in sources)  # no outside host


def test_hashes_match_the_scripts_a_browser_reads(real_site: Path) -> None:
    class Scripts(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=False)
            self.bodies: list[str] = []
            self._inline = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            names = dict(attrs)
            self._inline = tag == "script" and "src" not in names and names.get(
                "type") != "application/json"
            if self._inline:
                self.bodies.append("")

        def handle_data(self, data: str) -> None:
            if self._inline:
                self.bodies[-1] += data

        def handle_endtag(self, tag: str) -> None:
            self._inline = False

    html = (real_site / "column/2026-11/liangbuchou-exit/index.html").read_text("utf-8")
    parser = Scripts()
    parser.feed(html)
    expected = {"'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()
                + "'" for b in parser.bodies}
    policy = directives(META.findall(html)[0])
    assert len(parser.bodies) >= 2
    assert set(policy["script-src"]) - {"'self'"} == expected


def test_theme_scripts_are_recognised_and_anything_else_is_not() -> None:
    theme = csp.ThemeScripts.from_dirs([MATERIAL])
    scope = (MATERIAL / "partials/javascripts/base.html").read_text(encoding="utf-8")
    body = re.search(r"<script>(.*?)</script>", scope, re.S).group(1)
    for base in (".", "../..", "../../.."):
        assert theme.recognises(re.sub(r"\{\{.*?\}\}", base, body))
    assert not theme.recognises("alert(1)")
    injected = re.sub(r"\{\{.*?\}\}", '",location),alert(1),("', body)
    assert not theme.recognises(injected)


def test_inline_scripts_skip_files_and_data_blocks() -> None:
    html = ('<script src="a.js"></script><script id="__config" type="application/json">{}'
            '</script><script type="module">m()</script><SCRIPT>x()</SCRIPT >')
    assert csp.inline_scripts(html) == ["m()", "x()"]


def test_an_injected_inline_script_fails_the_build(make_project) -> None:
    # A theme override that prints page text into a script: the build must not hash it.
    project = make_project({"news/a.md": "---\ntitle: 甲\ndate: 2026-11-03\n---\n\n正文\n"})
    overrides = project / "overrides"
    overrides.mkdir()
    (overrides / "main.html").write_text(
        '{% extends "base.html" %}{% block extrahead %}<script>{{ page.title }}</script>'
        "{% endblock %}", encoding="utf-8")
    config = (project / "mkdocs.yml").read_text(encoding="utf-8")
    (project / "mkdocs.yml").write_text(
        config.replace("  name: material\n", "  name: material\n  custom_dir: overrides\n"),
        encoding="utf-8")
    result = mkdocs_build(project, today=TODAY)
    assert result.returncode != 0
    assert "页面含有主题之外的内联脚本" in result.stderr


# -- the server -----------------------------------------------------------------------

@pytest.fixture
def site_app(tmp_path: Path):
    from learning_app import create_app

    site = tmp_path / "site"
    (site / "news").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><p>首页</p>", encoding="utf-8")
    (site / "404.html").write_text("<!doctype html><p>没有</p>", encoding="utf-8")
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SITE_DIR": str(site),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}"})
    return app, site


def test_the_app_serves_site_pages_with_the_built_policy(site_app) -> None:
    app, site = site_app
    policy = csp.policy(["'sha256-abc='"], header=True)
    (site / csp.CSP_FILE).write_text(policy + "\n", encoding="utf-8")
    client = app.test_client()
    for path, status in (("/", 200), ("/news/", 404), ("/missing/", 404)):
        response = client.get(path)
        assert response.status_code == status, path
        assert response.headers["Content-Security-Policy"] == policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert response.headers["Referrer-Policy"] == "same-origin"
    # the catch-all route also answers unknown /app/ paths: those keep the app's policy
    app_policy = client.get("/app/no-such-page").headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in app_policy and "sha256" not in app_policy
    # a new build replaces the file: the next response carries the new policy
    newer = csp.policy(["'sha256-def='"], header=True)
    (site / csp.CSP_FILE).write_text(newer + "\n", encoding="utf-8")
    os.utime(site / csp.CSP_FILE, ns=(1, 2_000_000_000_000_000_000))
    assert client.get("/").headers["Content-Security-Policy"] == newer


def test_without_a_policy_file_the_site_gets_the_strict_fallback(site_app) -> None:
    from learning_app.content.site import FALLBACK_CSP

    app, site = site_app
    client = app.test_client()
    assert client.get("/").headers["Content-Security-Policy"] == FALLBACK_CSP
    (site / csp.CSP_FILE).write_text("script-src *\r\nX-Evil: 1", encoding="utf-8")
    assert client.get("/").headers["Content-Security-Policy"] == FALLBACK_CSP
    assert "'unsafe-inline'" not in FALLBACK_CSP and "frame-ancestors 'self'" in FALLBACK_CSP
