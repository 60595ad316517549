"""The app's pages and API answers carry a Content-Security-Policy with nothing
inline, and the other protective headers; the templates give the policy nothing
inline to refuse (no script bodies, no on*= handlers, no style attributes).

The site at / has its own inline scripts (MkDocs Material) and no policy yet.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from learning_app.models import Member
from tests.app.conftest import MakeMember, login

TEMPLATES = Path(__file__).resolve().parents[2] / "learning_app" / "templates"


def directives(policy: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_protected(response, *, cached_ok: bool = False) -> None:  # type: ignore[no-untyped-def]
    where = response.request.path
    policy = directives(response.headers.get("Content-Security-Policy", ""))
    assert policy.get("default-src") == ["'self'"], (where, policy)
    assert policy.get("script-src") == ["'self'"], (where, policy)
    assert policy.get("style-src") == ["'self'"], (where, policy)
    assert policy.get("object-src") == ["'none'"], (where, policy)
    assert policy.get("base-uri") == ["'self'"], (where, policy)
    assert policy.get("frame-ancestors") == ["'none'"], (where, policy)
    assert policy.get("form-action") == ["'self'"], (where, policy)
    every = " ".join(w for words in policy.values() for w in words)
    assert "unsafe-inline" not in every and "unsafe-eval" not in every and "*" not in every
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    if not cached_ok:
        assert "no-store" in response.headers.get("Cache-Control", ""), where
    assert "Strict-Transport-Security" not in response.headers, where  # plain-HTTP setting


@pytest.fixture
def county_admin(make_member: MakeMember) -> Member:
    return make_member("QC", role="county_admin")


def test_anonymous_pages_and_refusals_carry_the_headers(client: FlaskClient) -> None:
    for url, status in [("/app/login", 200), ("/app/", 302), ("/app/no-such-page", 404),
                        ("/api/reports/participation", 401), ("/api/ping", 200)]:
        response = client.get(url)
        assert response.status_code == status, (url, response.status_code)
        assert_protected(response)


def test_a_members_pages_and_api_answers_carry_the_headers(
        client: FlaskClient, make_member: MakeMember) -> None:
    login(client, make_member())
    for url in ["/app/", "/app/tests/", "/app/password", "/api/reading/session",
                "/api/quiz/tests"]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert_protected(response)


def test_an_admins_pages_report_api_and_export_carry_the_headers(
        client: FlaskClient, county_admin: Member) -> None:
    login(client, county_admin)
    for url in ["/app/reports/", "/app/admin/orgs/", "/app/admin/members/",
                "/app/admin/imports/", "/api/reports/participation",
                "/app/reports/export.csv"]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert_protected(response)
    assert client.get("/api/reports/participation").is_json


def test_static_files_are_protected_but_may_be_cached(client: FlaskClient) -> None:
    response = client.get("/app/static/reports.js")
    assert response.status_code == 200
    assert_protected(response, cached_ok=True)
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


def test_hsts_only_when_the_session_cookie_is_secure(
        app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    response = client.get("/app/login", base_url="https://localhost")
    assert response.headers.get("Strict-Transport-Security", "").startswith("max-age=")
    assert int(response.headers["Strict-Transport-Security"].split("=")[1]) >= 15552000


# --- the templates give the policy nothing inline to refuse ---------------------------

JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
TAG = re.compile(r"<[a-zA-Z][^<>]*>", re.S)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)
JS_URL = re.compile(r"""=\s*["']?\s*javascript:""", re.I)


def inline_code(html: str) -> list[str]:
    """What a policy without 'unsafe-inline' would refuse in one template's text."""
    bare = JINJA.sub(" ", html)
    found = [m.group(0) for m in INLINE_SCRIPT.finditer(bare)]
    found += [m.group(0) for m in re.finditer(r"<style\b", bare, re.I)]
    for tag in TAG.findall(bare):
        if HANDLER.search(tag) or STYLE_ATTR.search(tag) or JS_URL.search(tag):
            found.append(tag)
    return found


def test_the_scan_finds_what_it_looks_for() -> None:
    assert inline_code('<script>alert(1)</script>')
    assert inline_code('<script type="module">x()</script>')
    assert inline_code('<button class="x" onclick="go()">')
    assert inline_code('<img src=x\n  onerror=alert(1)>')
    assert inline_code('<span style="width: {{ w }}%"></span>')
    assert inline_code('<a href="javascript:void(0)">')
    assert inline_code('<style>p { color: red }</style>')
    assert not inline_code('<script src="{{ url_for(\'static\', filename=\'a.js\') }}" defer>'
                           '</script><p>onion=3, style = plain text</p>'
                           '<input data-onload="x" name="{{ a if b > c }}">')


def test_no_template_has_inline_script_handlers_or_styles() -> None:
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 10
    found = {str(p.relative_to(TEMPLATES)): inline_code(p.read_text(encoding="utf-8"))
             for p in templates}
    assert {name: hits for name, hits in found.items() if hits} == {}
