"""A draft as the site will show it: the site's Markdown, its HTML rule and its
theme's stylesheets, without its scripts.

The body is rendered by ``html_policy.site_markdown()`` (mkdocs.yml's
extensions) and then passed through the site's own allow-list cleaner, so the
preview shows what the build would publish and can never carry a script,
whatever the draft holds (the build refuses such a draft; the preview just
leaves it out and lists what it left out). The header (title, date, department,
category, reading time, tags) is the build's ``render.article_header``.

The stylesheets are read from the live site's home page (whatever theme version
and extra CSS it was built with), served by the site at ``/assets/…``.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any

from markupsafe import Markup, escape

from site_builder import html_policy
from site_builder.articles import directory_url, load_articles
from site_builder.render import article_header

# The preview is framed by the edit page (same origin) and runs nothing: no
# script at all, styles and images from the site only (Material's icons are
# data: URLs in its CSS).
PREVIEW_CSP = "; ".join([
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "base-uri 'self'",
    "form-action 'none'",
    "frame-ancestors 'self'",
])
_FALLBACK = ("assets/stylesheets/main.*.min.css", "assets/stylesheets/palette.*.min.css",
             "assets/dj/site.css")


class _Stylesheets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and (values.get("rel") or "").lower() == "stylesheet":
            href = values.get("href") or ""
            if href and not re.match(r"^[a-z][a-z0-9+.-]*:|^//", href, re.I):
                self.hrefs.append(href)


@lru_cache(maxsize=8)
def _stylesheets(index: str, _mtime_ns: int) -> tuple[str, ...]:
    parser = _Stylesheets()
    parser.feed(Path(index).read_text(encoding="utf-8", errors="replace"))
    root = Path(index).parent
    found = []
    for href in parser.hrefs:
        path = PurePosixPath(href.split("?")[0].split("#")[0])
        if ".." in path.parts or path.is_absolute():
            continue  # the home page links its own assets relatively
        if (root / path).is_file():
            found.append("/" + path.as_posix())
    return tuple(found)


def theme_stylesheets(site_dir: Path) -> list[str]:
    """Root-relative URLs of the site's stylesheets: the theme's, its palette and
    the site's extra CSS, as the built home page links them (or found by name)."""
    root = Path(site_dir)
    index = root / "index.html"
    try:
        found = list(_stylesheets(str(index.resolve()), index.stat().st_mtime_ns))
    except OSError:
        found = []
    if found:
        return found
    for pattern in _FALLBACK:
        found += sorted("/" + p.relative_to(root).as_posix() for p in root.glob(pattern))
    return found


_IMG_SRC = re.compile(r'(<img\b[^>]*?\ssrc=")([^"]*)(")')


def _media_src(html: str, media_base: str) -> str:
    """Pictures are written relative to the article (``x-files/….jpg``): in the
    preview they come from the article's media folder (``newsroom.media_file``)."""
    def swap(match: re.Match[str]) -> str:
        src = match.group(2)
        if not src or src.startswith(("/", "#")) or re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I):
            return match.group(0)
        return match.group(1) + str(escape(media_base)) + src + match.group(3)
    return _IMG_SRC.sub(swap, html)


def render_body(body: str, media_base: str = "") -> tuple[Markup, list[str]]:
    """The body as the site renders it, cleaned by the site's allow-list (relative
    pictures pointed at ``media_base``); and what the rule removed (Chinese
    messages with the body's line), for the editor."""
    md = html_policy.site_markdown()
    html = md.convert(body)
    problems = html_policy.locate(html_policy.check_html(html), body)
    # nh3 writes every attribute double-quoted, which is what _media_src reads.
    cleaned = _media_src(html_policy.CLEANER.clean(html), media_base)
    notes = [f"第{p.line}行：{p.message}" if p.line else p.message for p in problems]
    return Markup(cleaned), notes  # cleaned by the site's allow-list


def header(front_matter_text: str, path: str, title: str, today: dt.date) -> Markup:
    """The build's article header for the rendered file, or the bare title when
    the front matter isn't valid yet (the edit page lists why)."""
    articles, _errors = load_articles([(path, front_matter_text)], url_of=directory_url)
    if articles:
        html = article_header(articles[0], lambda _tag: "#", preview=True, today=today)
        return Markup(html)  # escaped by the build's own renderer
    return Markup("<h1>{}</h1>").format(escape(title or "（未填写标题）"))


def page_context(*, text: str, body: str, path: str, title: str, today: dt.date,
                 site_dir: Path, media_base: str) -> dict[str, Any]:
    """What ``templates/newsroom/preview.html`` needs."""
    html, notes = render_body(body, media_base)
    return {"header": header(text, path, title, today), "body_html": html, "notes": notes,
            "stylesheets": theme_stylesheets(site_dir)}
