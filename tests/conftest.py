"""Shared fixtures: article sources and built sites."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TODAY = "2026-12-01"  # the build date the real content is checked against


def article(title: str = "测试文章", date: str = "2026-11-03", **extra: object) -> str:
    lines = [f"title: {title}", f"date: {date}"]
    lines += [f"{key}: {value}" for key, value in extra.items()]
    body = "这是正文的第一段，讲两不愁三保障。\n\n## 小标题\n\n第二段内容。\n"
    return "---\n" + "\n".join(lines) + "\n---\n\n" + body


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """A copy of mkdocs.yml with the given content files (or the real content)."""

    def make(files: dict[str, str] | None = None, *, real_content: bool = False) -> Path:
        project = tmp_path / "project"
        project.mkdir()
        shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
        content = project / "content"
        if real_content:
            shutil.copytree(ROOT / "content", content)
        else:
            content.mkdir()
        for rel, text in (files or {}).items():
            path = content / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return project

    return make


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", choices=["sqlite", "postgres"],
                     default=os.environ.get("TEST_DB", "sqlite"),
                     help="database for the app tests (postgres: TEST_DATABASE_URL, or a "
                          "throwaway server from Debian's binaries)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "shared_db: the app test reads data that a class- or module-scoped fixture "
                   "loaded once; the per-test cleanup leaves the database to that fixture "
                   "(tests/app/conftest.py)")
