"""Manifest, feeds and booklets as plain functions."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from site_builder.articles import load_article
from site_builder.booklet import QrCodes, booklet_markdown, fill_booklet, qr_svg
from site_builder.feeds import rss
from site_builder.manifest import TZ, build_manifest
from tests.conftest import article


def load(path: str, **extra: object):
    loaded, errors = load_article(path, article(**extra))
    assert not errors and loaded is not None
    return loaded


def test_manifest_matches_contract_2() -> None:
    a = load("column/2026-11/liangbuchou-exit.md", category="knowledge", credit=0.5,
             date="2026-11-03")
    manifest = build_manifest([a], dt.datetime(2026, 11, 26, 8, tzinfo=TZ))
    assert manifest["version"] == 1
    assert manifest["generated_at"] == "2026-11-26T08:00:00+08:00"
    assert manifest["articles"] == [{
        "id": "liangbuchou-exit", "title": "测试文章",
        "url": "/column/2026-11/liangbuchou-exit/", "section": "column", "issue": "2026-11",
        "category": "knowledge", "published": "2026-11-03", "chars": a.stats.chars,
        "required_seconds": a.stats.required_seconds, "credit_hours": 0.5}]
    assert a.stats.required_seconds > 0


def test_rss_is_dated_from_front_matter() -> None:
    items = [load("news/a.md", date="2026-10-01", title="甲"),
             load("news/b.md", date="2026-11-20", title="乙"),
             load("column/2026-11/c.md", category="cases")]
    root = ET.fromstring(rss("news", items, "站点", "https://example.cn/"))
    entries = root.findall("./channel/item")
    assert [e.findtext("title") for e in entries] == ["乙", "甲"]
    assert entries[0].findtext("link") == "https://example.cn/news/b/"
    assert entries[0].findtext("pubDate") == "Fri, 20 Nov 2026 00:00:00 +0800"
    assert root.findtext("./channel/lastBuildDate") == "Fri, 20 Nov 2026 00:00:00 +0800"


def test_qr_code_is_an_inline_svg_of_the_url() -> None:
    svg = qr_svg("https://example.cn/column/2026-11/a/")
    assert svg.startswith('<svg role="img" class="dj-qr" ')
    assert "<title>https://example.cn/column/2026-11/a/</title>" in svg
    assert "http" not in svg.replace("https://example.cn/column/2026-11/a/", "")


def test_qr_codes_cache_and_background_batch(tmp_path) -> None:
    urls = [f"https://example.cn/a/{n}/" for n in range(5)]
    codes = QrCodes(tmp_path)
    codes.prepare(urls, parallel_from=2)  # forces the second-process path
    assert codes.get(urls[3]) == qr_svg(urls[3])
    codes.close()
    cached = QrCodes(tmp_path)
    cached.prepare(urls)
    assert cached._pending == [] and cached.get(urls[0]) == qr_svg(urls[0])


def test_booklet_has_contents_and_every_article_with_qr() -> None:
    a = load("column/2026-11/a.md", category="cases", id="a-id", title="案例")
    b = load("column/2026-11/b.md", category="knowledge", id="b-id", title="知识")
    md = booklet_markdown("2026-11", [a, b], "青川县")
    assert md.index("1. [知识](#b-id)") < md.index("2. [案例](#a-id)")  # category order
    html = fill_booklet(md, {"a-id": "<p>案例正文</p>", "b-id": "<p>知识正文</p>"},
                        {"a-id": "<svg>A</svg>", "b-id": "<svg>B</svg>"})
    assert '<div class="dj-booklet-article"><p>案例正文</p></div>' in html
    assert '<div class="dj-booklet-qr"><svg>B</svg></div>' in html
