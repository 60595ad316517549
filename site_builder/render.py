"""HTML around an article's content: meta line, preview banner, prev/next, tracker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from markupsafe import Markup, escape

from site_builder.articles import Article
from site_builder.indexes import issue_label


def article_header(article: Article, tag_href: Callable[[str], str], *,
                   preview: bool, today: dt.date) -> str:
    """Title, meta line and tags; a 预览 banner on a not-yet-published article."""
    parts = [f'<time datetime="{article.date.isoformat()}">{article.date.isoformat()}</time>']
    if article.department:
        parts.append(f"<span>{escape(article.department)}</span>")
    if article.category:
        parts.append(f"<span>{escape(article.category_label)}</span>")
    parts.append(f"<span>阅读约{article.stats.minutes}分钟</span>")
    parts.append(f"<span>{article.credit_hours:g}学时</span>")
    tags = "".join(
        f'<a class="dj-tag" href="{escape(tag_href(tag))}">{escape(tag)}</a>'
        for tag in article.tags
    )
    banner = ""
    if preview and not article.published_on(today):
        banner = (
            '<div class="dj-preview-banner" role="note">预览：本文定于'
            f"{article.date.isoformat()}发布，发布前不对外公开。</div>"
        )
    return (
        f"{banner}<h1>{escape(article.title)}</h1>"
        f'<p class="dj-meta">{" · ".join(parts)}</p>'
        + (f'<p class="dj-tags">{tags}</p>' if tags else "")
    )


def neighbours_nav(previous: tuple[Article, str] | None, following: tuple[Article, str] | None,
                   issue_href: str | None, issue: str | None) -> str:
    """Prev/next links within the article's monthly issue."""
    links = []
    if previous:
        links.append(f'<a class="dj-prev" href="{escape(previous[1])}">'
                     f"<small>上一篇</small>{escape(previous[0].title)}</a>")
    if following:
        links.append(f'<a class="dj-next" href="{escape(following[1])}">'
                     f"<small>下一篇</small>{escape(following[0].title)}</a>")
    back = ""
    if issue_href and issue:
        back = (f'<p class="dj-back"><a href="{escape(issue_href)}">'
                f"返回{issue_label(issue)}目录</a></p>")
    if not links and not back:
        return ""
    return f'<nav class="dj-neighbours" aria-label="本期文章">{"".join(links)}</nav>{back}'


def tracker_tag(article: Article, script_href: str) -> str:
    """The article marker and tracker script (DESIGN.md contract 3).

    The script sits inside the content so that Material's instant navigation,
    which re-runs scripts of the swapped container, starts it on every article.
    """
    return str(Markup(
        '<div class="dj-reading" data-dj-article="{id}" data-dj-required="{req}" '
        'hidden>'
        '<p class="dj-reading-status" aria-live="polite"></p></div>'
        '<script src="{src}" defer></script>'
    ).format(id=article.id, req=article.stats.required_seconds, src=script_href))
