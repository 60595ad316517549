"""Articles: discovery, reading time by characters, credit and summaries."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from site_builder.errors import SourceError
from site_builder.frontmatter import CATEGORIES, CATEGORY_CHOICES, ID_PATTERN, parse_article

SECTIONS: dict[str, str] = {
    "policy": "政策解读",
    "column": "脱贫攻坚专栏",
    "news": "工作动态",
}
# Chinese is read by characters, not by "words": about 400 characters a
# minute for careful reading; a Latin word or a number takes as long as two.
HAN_PER_MINUTE = 400
WORDS_PER_MINUTE = 200
SECONDS_PER_CREDIT_HOUR = 45 * 60  # 1 学时 = 45 minutes of study
MIN_CREDIT = 0.1

_ISSUE = re.compile(r"^column/(\d{4})-(0[1-9]|1[0-2])/[^/]+\.md$")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z0-9]+(?:[.'’][A-Za-z0-9]+)*")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_HTML_TAG = re.compile(r"<[^>]+>")
_FENCED = re.compile(r"^```.*?^```", re.S | re.M)
_INLINE = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)|[*_`~]+")


@dataclass(frozen=True)
class ReadingStats:
    chars: int
    required_seconds: int
    minutes: int


@dataclass(frozen=True)
class Article:
    src_uri: str
    id: str
    title: str
    date: dt.date
    section: str
    issue: str | None
    category: str | None
    department: str | None
    tags: tuple[str, ...]
    summary: str
    stats: ReadingStats
    credit_hours: float
    url: str  # relative to the site root, e.g. "column/2026-11/x/"
    body: str = field(repr=False)
    id_line: int = 1

    def published_on(self, today: dt.date) -> bool:
        return self.date <= today

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category or "", "")


def reading_stats(markdown: str) -> ReadingStats:
    """Count what a reader reads: Han characters, plus Latin words and numbers."""
    text = _FENCED.sub(" ", markdown)
    text = _LINK_TARGET.sub("]", text)
    text = _HTML_TAG.sub(" ", text)
    han = len(_HAN.findall(text))
    words = len(_WORD.findall(text))
    seconds = math.ceil(han * 60 / HAN_PER_MINUTE + words * 60 / WORDS_PER_MINUTE)
    return ReadingStats(chars=han + words, required_seconds=seconds,
                        minutes=max(1, math.ceil(seconds / 60)))


def default_credit(required_seconds: int) -> float:
    """学时 for reading: the reading time in 45-minute hours, to 0.1, at least 0.1."""
    tenths = math.floor(required_seconds / SECONDS_PER_CREDIT_HOUR * 10 + 0.5)
    return max(MIN_CREDIT, tenths / 10)


def first_paragraph(markdown: str, limit: int = 100) -> str:
    """The first prose paragraph, without Markdown markup, cut at ``limit``."""
    for block in re.split(r"\n\s*\n", _FENCED.sub("", markdown)):
        block = block.strip()
        if not block or block[0] in "#|<>!-*+:=" or re.match(r"^\d+\.\s", block):
            continue
        text = _INLINE.sub(lambda m: m.group(1) or "", block)
        text = re.sub(r"\s+", " ", text).strip()
        if text:
            return text if len(text) <= limit else text[: limit - 1] + "…"
    return ""


def section_of(src_uri: str) -> str | None:
    head = src_uri.split("/", 1)[0]
    return head if head in SECTIONS and "/" in src_uri else None


def is_article_path(src_uri: str) -> bool:
    return (
        src_uri.endswith(".md")
        and section_of(src_uri) is not None
        and not src_uri.endswith("/index.md")
        and not src_uri.startswith(("column/category/", "tags/"))
        and src_uri != "column/archive.md"
    )


def default_id(src_uri: str) -> str:
    stem = src_uri[: -len(".md")]
    if stem.startswith("column/"):
        stem = stem.split("/")[-1]  # column ids are short: the file name
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")


def directory_url(src_uri: str) -> str:
    return src_uri[: -len(".md")] + "/"


def load_article(
    src_uri: str, source: str, url_of: Callable[[str], str] = directory_url
) -> tuple[Article | None, list[SourceError]]:
    """Validate one file of ``content/`` and build its Article."""
    parsed, errors = parse_article(src_uri, source)
    if parsed is None:
        return None, errors
    meta = parsed.meta
    section = section_of(src_uri) or ""
    start = min(parsed.key_lines.values(), default=2)
    issue = None
    if section == "column":
        match = _ISSUE.match(src_uri)
        if match is None:
            errors.append(SourceError(src_uri, 1, "issue", "专栏文章应放在 column/YYYY-MM/ "
                                      "下，每期一个文件夹"))
        else:
            issue = f"{match.group(1)}-{match.group(2)}"
        if meta.category is None:
            errors.append(SourceError(src_uri, start, "category",
                                      f"专栏文章必填，应为 {CATEGORY_CHOICES}之一"))
    elif meta.category is not None:
        errors.append(SourceError(src_uri, parsed.key_lines["category"], "category",
                                  "只有专栏（column/）文章有分类，这里不能填"))
    article_id = meta.id or default_id(src_uri)
    if not re.match(ID_PATTERN, article_id):
        errors.append(SourceError(src_uri, start, "id",
                                  f"应填写 id（小写字母、数字和连字符）：由文件名得到的"
                                  f"“{article_id}”不能用"))
    if errors:
        return None, errors
    stats = reading_stats(parsed.body)
    return Article(
        src_uri=src_uri,
        id=article_id,
        title=meta.title,
        date=meta.date,
        section=section,
        issue=issue,
        category=meta.category,
        department=meta.department,
        tags=tuple(dict.fromkeys(meta.tags)),
        summary=meta.summary or first_paragraph(parsed.body),
        stats=stats,
        credit_hours=meta.credit if meta.credit is not None else default_credit(
            stats.required_seconds),
        url=url_of(src_uri),
        body=parsed.body,
        id_line=parsed.key_lines.get("id", start),
    ), []


def load_articles(
    sources: Iterable[tuple[str, str]], url_of: Callable[[str], str] = directory_url
) -> tuple[list[Article], list[SourceError]]:
    """Load every article; report all errors, duplicate ids included."""
    articles: list[Article] = []
    errors: list[SourceError] = []
    for src_uri, source in sources:
        article, problems = load_article(src_uri, source, url_of)
        errors += problems
        if article is not None:
            articles.append(article)
    return articles, errors + duplicate_ids(articles)


def duplicate_ids(articles: Iterable[Article]) -> list[SourceError]:
    """Every article whose id another one carries too, each naming the others.

    Both sides are reported, so the answer doesn't depend on which file sorts
    first: a draft checked alone hears the same as in the build.
    """
    holders: dict[str, list[str]] = {}
    for article in articles:
        holders.setdefault(article.id, []).append(article.src_uri)
    errors = []
    for article in articles:
        others = sorted(src for src in holders[article.id] if src != article.src_uri)
        if others:
            errors.append(SourceError(article.src_uri, article.id_line, "id",
                                      f"id 应唯一：“{article.id}”已被 {'、'.join(others)} 使用"))
    return errors


def newest_first(articles: Iterable[Article]) -> list[Article]:
    return sorted(articles, key=lambda a: (a.date, a.src_uri), reverse=True)
