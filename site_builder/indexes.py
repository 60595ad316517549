"""Generated pages as Markdown: column home, issues, categories, tags, listings.

Every function here is pure: articles in, ``{src_uri: markdown}`` out. Links
are relative ``.md`` links, so MkDocs resolves (and validates) them.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable
from urllib.parse import quote

from markupsafe import escape
from mkdocs.utils import get_relative_url

from site_builder.articles import SECTIONS, Article, newest_first
from site_builder.frontmatter import CATEGORIES

COLUMN_INTRO = (
    "县委组织部在党员教育平台开设的“脱贫攻坚”学习专栏，每月一期，"
    "刊发扶贫知识、各部门措施和先进案例。认真读完一篇文章即可计入学时。"
)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}>#|])")


def md_escape(text: str) -> str:
    """Text for a Markdown line: shows as written, opens no tag or entity.

    ``<`` and ``&`` become entities (Markdown has no backslash escape for
    ``<``: ``\\<`` would show the backslash); the rest get backslashes, the
    braces too: a heading ending in ``{onclick=…}`` would be attr_list's.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def rel(from_src: str, to_src: str) -> str:
    return posixpath.relpath(to_src, posixpath.dirname(from_src) or ".")


def issue_label(issue: str) -> str:
    year, month = issue.split("-")
    return f"{year}年{int(month)}月"


def issue_src(issue: str) -> str:
    return f"column/{issue}/index.md"


def booklet_src(issue: str) -> str:
    return f"column/{issue}/booklet.md"


def category_src(category: str) -> str:
    return f"column/category/{category}.md"


def tag_slug(tag: str) -> str:
    return re.sub(r"[\s/\\?#%]+", "-", tag).strip("-") or "tag"


def tag_src(tag: str) -> str:
    return f"tags/{tag_slug(tag)}.md"


def _front(title: str, *, search: bool = False) -> str:
    # Listings repeat titles and summaries; keep them out of search results.
    hidden = "" if search else "search:\n  exclude: true\n"
    return f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\n{hidden}---\n\n"


def item_meta(article: Article) -> str:
    parts = [article.date.isoformat()]
    if article.department:
        parts.append(str(escape(article.department)))
    parts.append(f"约{article.stats.minutes}分钟")
    return " · ".join(parts)


def page_url(src_uri: str) -> str:
    """The directory URL MkDocs gives a page (use_directory_urls, the default)."""
    stem = src_uri[: -len(".md")]
    if stem == "index":
        return ""
    return stem[: -len("index")] if stem.endswith("/index") else stem + "/"


def href(from_src: str, article: Article) -> str:
    return get_relative_url(article.url, page_url(from_src))


def article_list(from_src: str, articles: Iterable[Article], *, summaries: bool = True) -> str:
    """An HTML list of article cards.

    Written as HTML rather than Markdown: archives list thousands of
    articles, and Markdown parsing of long lists was the costliest part of
    generating them.
    """
    items = []
    for article in articles:
        summary = ""
        if summaries and article.summary:
            summary = f'<span class="dj-item-summary">{escape(article.summary)}</span>'
        items.append(
            f'<li><a href="{escape(href(from_src, article))}">{escape(article.title)}</a>'
            f'<span class="dj-item-meta">{item_meta(article)}</span>{summary}</li>'
        )
    return '<ul class="dj-list">\n' + "\n".join(items) + "\n</ul>\n\n"


def by_issue(articles: Iterable[Article]) -> dict[str, list[Article]]:
    issues: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        if article.issue:
            issues[article.issue].append(article)
    return {key: newest_first(issues[key]) for key in sorted(issues, reverse=True)}


def issue_neighbours(issues: dict[str, list[Article]]
                     ) -> dict[str, tuple[Article | None, Article | None]]:
    """Previous and next article within each issue, in publishing order."""
    result: dict[str, tuple[Article | None, Article | None]] = {}
    for articles in issues.values():
        ordered = sorted(articles, key=lambda a: (a.date, a.src_uri))
        for index, article in enumerate(ordered):
            previous = ordered[index - 1] if index > 0 else None
            following = ordered[index + 1] if index + 1 < len(ordered) else None
            result[article.src_uri] = (previous, following)
    return result


def _by_category(articles: list[Article]) -> dict[str, list[Article]]:
    groups: dict[str, list[Article]] = {key: [] for key in CATEGORIES}
    for article in articles:
        groups[article.category or "knowledge"].append(article)
    return groups


def issue_sections(from_src: str, articles: list[Article], level: str = "##") -> str:
    out = []
    for category, group in _by_category(articles).items():
        if group:
            out.append(f"{level} {CATEGORIES[category]}\n\n{article_list(from_src, group)}")
    return "\n".join(out)


def archive(from_src: str, issues: dict[str, list[Article]]) -> str:
    """Past issues by year, then month, newest first."""
    years: dict[str, list[str]] = defaultdict(list)
    for issue in issues:
        years[issue[:4]].append(issue)
    out = []
    for year in sorted(years, reverse=True):
        links = [
            f"- [{issue_label(issue)}]({rel(from_src, issue_src(issue))})"
            f"（{len(issues[issue])}篇）"
            for issue in years[year]
        ]
        out.append(f"### {year}年\n\n" + "\n".join(links) + "\n")
    return "\n".join(out)


def column_home(issues: dict[str, list[Article]]) -> str:
    src = "column/index.md"
    text = _front(SECTIONS["column"]) + f"# {SECTIONS['column']}\n\n{COLUMN_INTRO}\n\n"
    if not issues:
        return text + "本专栏暂无文章。\n"
    latest = next(iter(issues))
    text += (
        f"## 最新一期：{issue_label(latest)}\n\n"
        f"[本期目录]({rel(src, issue_src(latest))}) · "
        f"[打印本期学习手册]({rel(src, booklet_src(latest))})\n\n"
        + issue_sections(src, issues[latest], "###")
    )
    categories = " · ".join(
        f"[{label}]({rel(src, category_src(key))})" for key, label in CATEGORIES.items()
    )
    return (text + f"\n## 按类别浏览\n\n{categories}\n\n## 往期回顾\n\n" + archive(src, issues)
            + feed_link(src, "feed/column.xml"))


def issue_page(issue: str, articles: list[Article], neighbours: tuple[str | None, str | None]
               ) -> str:
    src = issue_src(issue)
    newer, older = neighbours
    nav = []
    if older:
        nav.append(f"[← 上一期：{issue_label(older)}]({rel(src, issue_src(older))})")
    nav.append(f"[专栏首页]({rel(src, 'column/index.md')})")
    if newer:
        nav.append(f"[下一期：{issue_label(newer)} →]({rel(src, issue_src(newer))})")
    return (
        _front(f"{issue_label(issue)} 脱贫攻坚专栏")
        + f"# {issue_label(issue)} 脱贫攻坚专栏\n\n"
        + f"本期共{len(articles)}篇文章。"
        + f"[打印本期学习手册]({rel(src, booklet_src(issue))})\n\n"
        + issue_sections(src, articles)
        + "\n" + " · ".join(nav) + "\n"
    )


def archive_page(issues: dict[str, list[Article]]) -> str:
    src = "column/archive.md"
    return (_front("往期回顾 · 脱贫攻坚专栏") + "# 往期回顾\n\n"
            + f"[返回专栏首页]({rel(src, 'column/index.md')})\n\n" + archive(src, issues))


def category_page(category: str, issues: dict[str, list[Article]]) -> str:
    src = category_src(category)
    label = CATEGORIES[category]
    text = _front(f"{label} · 脱贫攻坚专栏") + f"# {label}\n\n"
    for issue, articles in issues.items():
        group = [a for a in articles if a.category == category]
        if group:
            text += f"## {issue_label(issue)}\n\n" + article_list(src, group, summaries=False)
    return text


def tag_index(tags: dict[str, list[Article]]) -> str:
    src = "tags/index.md"
    lines = [
        f"- [{md_escape(tag)}]({_link(rel(src, tag_src(tag)))})（{len(articles)}篇）"
        for tag, articles in sorted(tags.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]
    return _front("标签") + "# 标签\n\n" + "\n".join(lines) + "\n"


_LINK_UNSAFE = re.compile(r"[^A-Za-z0-9._~/\-\u0080-\U0010ffff]")


def _link(target: str) -> str:
    """A relative .md link made of a tag's text, as a Markdown link target: ASCII
    punctuation percent-encoded, so ``javascript:x`` can't read as a scheme nor
    ``)`` end the link (MkDocs unquotes it to find the page)."""
    return _LINK_UNSAFE.sub(lambda match: quote(match.group()), target)


def tag_page(tag: str, articles: list[Article]) -> str:
    src = tag_src(tag)
    return (
        _front(f"标签：{tag}") + f"# 标签：{md_escape(tag)}\n\n"
        + article_list(src, newest_first(articles))
        + f"\n[全部标签]({rel(src, 'tags/index.md')})\n"
    )


def feed_link(from_src: str, feed: str) -> str:
    # Not a <link rel=alternate> in the head: Material's instant navigation
    # fetches a sitemap.xml next to every such link.
    href = get_relative_url(feed, page_url(from_src))
    return f'\n<p class="dj-feed"><a href="{href}" type="application/rss+xml">RSS订阅</a></p>\n'


def section_listing(section: str, articles: list[Article]) -> str:
    src = f"{section}/index.md"
    text = _front(SECTIONS[section]) + f"# {SECTIONS[section]}\n\n" + article_list(
        src, newest_first(articles))
    return text + (feed_link(src, "feed/news.xml") if section == "news" else "")


def group_tags(articles: Iterable[Article]) -> dict[str, list[Article]]:
    tags: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        for tag in article.tags:
            tags[tag].append(article)
    return dict(tags)


def generated_pages(articles: list[Article]) -> dict[str, str]:
    """All listing pages for the published articles, keyed by ``src_uri``."""
    column = [a for a in articles if a.section == "column"]
    issues = by_issue(column)
    keys = list(issues)
    pages = {"column/index.md": column_home(issues), "column/archive.md": archive_page(issues)}
    for position, issue in enumerate(keys):
        newer = keys[position - 1] if position > 0 else None
        older = keys[position + 1] if position + 1 < len(keys) else None
        pages[issue_src(issue)] = issue_page(issue, issues[issue], (newer, older))
    for category in CATEGORIES:
        pages[category_src(category)] = category_page(category, issues)
    tags = group_tags(articles)
    pages["tags/index.md"] = tag_index(tags)
    for tag, tagged in tags.items():
        pages[tag_src(tag)] = tag_page(tag, tagged)
    for section in ("policy", "news"):
        pages[f"{section}/index.md"] = section_listing(
            section, [a for a in articles if a.section == section])
    return pages


def home_blocks(articles: list[Article], limit: int = 6) -> dict[str, str]:
    """Markdown for the home page markers ``<!-- dj:NAME -->``."""
    src = "index.md"
    issues = by_issue(a for a in articles if a.section == "column")
    blocks = {"latest-issue": "本专栏暂无文章。\n"}
    if issues:
        latest = next(iter(issues))
        blocks["latest-issue"] = (
            f"**{issue_label(latest)}** · [本期目录]({rel(src, issue_src(latest))}) · "
            f"[往期回顾]({rel(src, 'column/index.md')})\n\n"
            + article_list(src, issues[latest][:limit])
        )
    for section in ("policy", "news"):
        items = newest_first(a for a in articles if a.section == section)[:limit]
        blocks[section] = article_list(src, items, summaries=section == "policy") + (
            f"\n[更多{SECTIONS[section]}]({rel(src, section + '/index.md')})\n")
    return blocks


def fill_markers(markdown: str, blocks: dict[str, str]) -> str:
    def swap(match: re.Match[str]) -> str:
        return blocks.get(match.group(1), match.group(0))

    return re.sub(r"<!--\s*dj:([a-z-]+)\s*-->", swap, markdown)


_LIST_BLOCK = re.compile(r'<ul class="dj-list">.*?</ul>\n', re.S)
_LIST_MARK = re.compile(r"<!-- dj:list:(\d+) -->")


def stash_lists(markdown: str) -> tuple[str, list[str]]:
    """Swap the HTML article lists for markers before Markdown sees them.

    Python-Markdown parses every tag of a raw HTML block; archives hold
    thousands, so the finished HTML goes back in after rendering instead.
    """
    fragments: list[str] = []

    def stash(match: re.Match[str]) -> str:
        fragments.append(match.group(0))
        return f"<!-- dj:list:{len(fragments) - 1} -->\n"

    return _LIST_BLOCK.sub(stash, markdown), fragments


def restore_lists(html: str, fragments: list[str]) -> str:
    return _LIST_MARK.sub(lambda m: fragments[int(m.group(1))], html)
