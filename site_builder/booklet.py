"""Printable monthly booklets (学习手册) with a QR code per article."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path

import segno
from markupsafe import escape

from site_builder.articles import Article
from site_builder.frontmatter import CATEGORIES
from site_builder.indexes import _front, issue_label, item_meta, md_escape, rel


def qr_svg(url: str) -> str:
    """An inline SVG QR code for ``url``, made here (no outside service).

    A fixed mask pattern skips segno's evaluation of all eight masks, which
    is three quarters of the time; any mask is valid and scans the same.
    """
    code = segno.make_qr(url, error="m", mask=4)
    svg = code.svg_inline(scale=3, border=2, omitsize=True, title=url)
    return svg.replace("<svg ", '<svg role="img" class="dj-qr" ', 1)


def _qr_batch(urls: list[str]) -> dict[str, str]:
    return {url: qr_svg(url) for url in urls}


class QrCodes:
    """QR codes for many URLs, cached on disk, drawn on a spare core.

    MkDocs builds on one core; drawing a few thousand codes in a second
    process while the pages render keeps them off the build's critical path.
    """

    def __init__(self, cache_dir: Path | None) -> None:
        self._cache_file = cache_dir / "qr-codes.json" if cache_dir else None
        self._codes: dict[str, str] = {}
        if self._cache_file and self._cache_file.exists():
            try:
                self._codes = json.loads(self._cache_file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self._codes = {}
        self._pending: list[Future[dict[str, str]]] = []
        self._executor: Executor | None = None
        self._dirty = False

    def prepare(self, urls: Iterable[str], *, parallel_from: int = 200) -> None:
        missing = sorted({url for url in urls if url not in self._codes})
        if not missing:
            return
        self._dirty = True
        if len(missing) < parallel_from:
            self._codes.update(_qr_batch(missing))
            return
        self._executor = ProcessPoolExecutor(max_workers=1)
        size = 250
        self._pending = [
            self._executor.submit(_qr_batch, missing[i : i + size])
            for i in range(0, len(missing), size)
        ]

    def get(self, url: str) -> str:
        if self._pending:
            for future in self._pending:
                self._codes.update(future.result())
            self._pending = []
        if url not in self._codes:
            self._codes[url] = qr_svg(url)
            self._dirty = True
        return self._codes[url]

    def close(self) -> None:
        if self._pending:
            self.get("")  # drain
            self._codes.pop("", None)
        if self._executor:
            self._executor.shutdown()
            self._executor = None
        if self._dirty and self._cache_file:
            self._cache_file.parent.mkdir(parents=True, exist_ok=True)
            self._cache_file.write_text(json.dumps(self._codes), encoding="utf-8")
            self._dirty = False


ARTICLE_MARK = "<!-- dj:article:{id} -->"
QR_MARK = "<!-- dj:qr:{id} -->"
_MARK = re.compile(r"<!-- dj:(article|qr):([a-z0-9-]+) -->")


def booklet_markdown(issue: str, articles: list[Article], site_name: str) -> str:
    """The booklet page: cover, contents, then each article with its QR code.

    The article bodies are filled in from the already rendered pages (see
    ``fill_booklet``), so a booklet costs no second Markdown rendering.
    """
    src = f"column/{issue}/booklet.md"
    ordered = [a for key in CATEGORIES for a in articles if a.category == key]
    contents = "\n".join(
        f"{n}. [{md_escape(a.title)}](#{a.id})（{a.category_label}）"
        for n, a in enumerate(ordered, start=1)
    )
    parts = [
        _front(f"{issue_label(issue)} 学习手册"),
        '<div class="dj-booklet-cover" markdown>\n\n',
        f"# {issue_label(issue)} 脱贫攻坚学习手册\n\n",
        f"{escape(site_name)} · 共{len(ordered)}篇 · "
        "扫描每篇文章旁的二维码，可在手机上阅读原文并计入学时。\n\n</div>\n\n",
        f"[返回本期目录]({rel(src, f'column/{issue}/index.md')})"
        '{ .dj-screen-only }\n\n',
        f"## 目录\n\n{contents}\n\n",
    ]
    for article in ordered:
        parts.append(
            f"## {md_escape(article.title)} {{ #{article.id} .dj-booklet-title }}\n\n"
            f'<p class="dj-item-meta">{item_meta(article)}</p>\n\n'
            f"{QR_MARK.format(id=article.id)}\n\n{ARTICLE_MARK.format(id=article.id)}\n\n"
        )
    return "".join(parts)


def qr_figure(svg: str, url: str) -> str:
    return (f'<figure class="dj-qr-figure">{svg}'
            f"<figcaption>扫码阅读原文<br><small>{escape(url)}</small></figcaption></figure>")


def fill_booklet(html: str, bodies: dict[str, str], figures: dict[str, str]) -> str:
    def swap(match: re.Match[str]) -> str:
        kind, article_id = match.groups()
        source = bodies if kind == "article" else figures
        return f'<div class="dj-booklet-{kind}">{source.get(article_id, "")}</div>'

    return _MARK.sub(swap, html)
