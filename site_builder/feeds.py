"""RSS feeds of the column and the news, dated from front matter."""

from __future__ import annotations

import datetime as dt
from html import escape

from feedgen.feed import FeedGenerator

from site_builder.articles import Article, newest_first
from site_builder.manifest import TZ

FEEDS: dict[str, tuple[str, str]] = {
    # section: (file in site/, feed title suffix)
    "column": ("feed/column.xml", "脱贫攻坚专栏"),
    "news": ("feed/news.xml", "工作动态"),
}


def rss(section: str, articles: list[Article], site_name: str, site_url: str,
        limit: int = 30) -> bytes:
    """The newest ``limit`` published articles of ``section`` as RSS 2.0."""
    _path, label = FEEDS[section]
    base = site_url.rstrip("/") + "/"
    feed = FeedGenerator()
    feed.title(f"{site_name} · {label}")
    feed.link(href=base, rel="alternate")
    feed.description(f"{site_name}{label}的最新文章")
    feed.language("zh-CN")
    items = newest_first(a for a in articles if a.section == section)[:limit]
    if items:
        feed.lastBuildDate(_midnight(items[0].date))
    for article in reversed(items):  # feedgen prepends entries
        entry = feed.add_entry()
        entry.id(base + article.url)
        entry.guid(base + article.url, permalink=True)
        entry.title(article.title)
        entry.link(href=base + article.url)
        # RSS readers render a description as HTML: the summary is text, so escaped
        # for HTML before the XML escaping (a summary "<script>…" stays text).
        entry.description(escape(article.summary or article.title, quote=False))
        entry.pubDate(_midnight(article.date))
        if article.category_label:
            entry.category(term=article.category_label)
    return feed.rss_str(pretty=True)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), TZ)
