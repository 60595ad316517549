"""Issue, archive, category, tag and listing pages as plain functions."""

from __future__ import annotations

import re

from site_builder.articles import Article, load_article
from site_builder.indexes import (
    archive,
    by_issue,
    fill_markers,
    generated_pages,
    home_blocks,
    issue_label,
    page_url,
    tag_src,
)
from site_builder.navigation import NAV_ISSUES, build_nav
from tests.conftest import article


def make(path: str, date: str, category: str | None = None, tags: str = "[]",
         title: str | None = None) -> Article:
    extra: dict[str, object] = {"tags": tags}
    if category:
        extra["category"] = category
    loaded, errors = load_article(path, article(title or path, date, **extra))
    assert not errors and loaded is not None, errors
    return loaded


ARTICLES = [
    make("column/2025-12/a.md", "2025-12-05", "knowledge", "[精准扶贫]"),
    make("column/2026-10/b.md", "2026-10-02", "cases"),
    make("column/2026-11/c.md", "2026-11-03", "knowledge", "[精准扶贫, 产业扶贫]"),
    make("column/2026-11/d.md", "2026-11-09", "measures"),
    make("column/2026-11/e.md", "2026-11-05", "knowledge"),
    make("news/n1.md", "2026-11-20"),
    make("policy/p1.md", "2026-08-20", tags="[精准扶贫]"),
]


def links(markdown: str) -> list[str]:
    """Targets of Markdown links and of the HTML article lists, in order."""
    pattern = r"\]\(([^)#]+)\)|<a href=\"([^\"]+)\""
    return [md or html for md, html in re.findall(pattern, markdown)]


def test_issues_newest_first_and_articles_newest_first_within() -> None:
    issues = by_issue(ARTICLES)
    assert list(issues) == ["2026-11", "2026-10", "2025-12"]
    assert [a.src_uri for a in issues["2026-11"]] == [
        "column/2026-11/d.md", "column/2026-11/e.md", "column/2026-11/c.md"]


def test_issue_page_groups_by_category_in_fixed_order() -> None:
    page = generated_pages(ARTICLES)["column/2026-11/index.md"]
    assert page.index("## 扶贫知识") < page.index("## 部门措施")
    assert "## 先进案例" not in page  # empty groups are left out
    knowledge = page[page.index("## 扶贫知识"): page.index("## 部门措施")]
    assert links(knowledge) == ["e/", "c/"]
    assert "[← 上一期：2026年10月](../2026-10/index.md)" in page
    assert "下一期" not in page  # newest issue
    assert "(booklet.md)" in page


def test_column_home_shows_latest_issue_then_archive_by_year() -> None:
    home = generated_pages(ARTICLES)["column/index.md"]
    assert "## 最新一期：2026年11月" in home
    assert home.index("### 2026年") < home.index("### 2025年")
    arch = archive("column/index.md", by_issue(ARTICLES))
    assert "- [11月" not in arch  # full labels
    assert "[2026年11月](2026-11/index.md)（3篇）" in arch
    assert "[2025年12月](2025-12/index.md)（1篇）" in arch


def test_category_pages_hold_only_their_category() -> None:
    pages = generated_pages(ARTICLES)
    assert links(pages["column/category/knowledge.md"]) == [
        "../../2026-11/e/", "../../2026-11/c/", "../../2025-12/a/"]
    assert links(pages["column/category/cases.md"]) == ["../../2026-10/b/"]


def test_tag_pages_span_sections() -> None:
    pages = generated_pages(ARTICLES)
    tagged = pages[tag_src("精准扶贫")]
    assert links(tagged)[:3] == ["../../column/2026-11/c/", "../../policy/p1/",
                                 "../../column/2025-12/a/"]
    assert "[精准扶贫](精准扶贫.md)（3篇）" in pages["tags/index.md"]
    assert pages["tags/index.md"].index("精准扶贫") < pages["tags/index.md"].index("产业扶贫")


def test_listings_and_home_markers() -> None:
    pages = generated_pages(ARTICLES)
    assert links(pages["news/index.md"]) == ["n1/", "../feed/news.xml"]
    assert links(pages["policy/index.md"]) == ["p1/"]
    home = fill_markers("<!-- dj:latest-issue -->\n<!-- dj:news -->\n<!-- dj:other -->",
                        home_blocks(ARTICLES))
    assert 'href="column/2026-11/d/"' in home and 'href="news/n1/"' in home
    assert "<!-- dj:other -->" in home  # unknown markers stay visible to the editor


def test_titles_are_escaped_in_lists() -> None:
    odd = make("news/odd.md", "2026-11-01", title="'<b>通知</b> & *重要*'")
    page = generated_pages([odd])["news/index.md"]
    assert '<a href="odd/">&lt;b&gt;通知&lt;/b&gt; &amp; *重要*</a>' in page


def test_page_urls() -> None:
    assert page_url("index.md") == ""
    assert page_url("column/index.md") == "column/"
    assert page_url("tags/精准扶贫.md") == "tags/精准扶贫/"


def test_navigation_lists_sections_and_recent_issues_only() -> None:
    nav = build_nav(list(by_issue(ARTICLES)), has_home=True)
    flat = repr(nav)
    assert "column/2026-11/index.md" in flat and "column/2025-12/index.md" in flat
    assert "c.md" not in flat and "n1.md" not in flat
    assert nav[0] == {"首页": "index.md"}
    column = nav[2]["脱贫攻坚专栏"]
    assert column[:3] == ["column/index.md", {"2026年11月": "column/2026-11/index.md"},
                          {"2026年10月": "column/2026-10/index.md"}]
    assert issue_label("2026-03") == "2026年3月"


def test_navigation_size_does_not_grow_with_the_archive() -> None:
    issues = [f"{year}-{month:02d}" for year in range(2016, 2027) for month in range(1, 13)]
    column = build_nav(issues, has_home=False)[1]["脱贫攻坚专栏"]
    assert len(column) == 1 + NAV_ISSUES + 1
    assert column[1] == {"2026年12月": "column/2026-12/index.md"}
    assert column[-1] == {"往期回顾": "column/archive.md"}
