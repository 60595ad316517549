"""One validator for articles: the build and the newsroom run the same checks.

``check_content`` is every rule the build applies to the articles of
``content/`` before it renders a page: contract 1's front matter (fields,
category, date; section and issue from the path), unique ids, the id registry
(an id free, not retired, not another article's), the county plan's figures,
and the HTML allow-list for the articles the build won't render today. The
build (``plugin.on_files``) calls it for the whole of ``content/``;
``check_draft`` calls it for ``content/`` with one file replaced by a draft,
and keeps what concerns the draft. There is no second set of rules.

An error's ``field`` says where it belongs, so the newsroom can show it next
to that field: a front matter key (``title``, ``date``, ``category``,
``department``, ``tags``, ``summary``, ``credit``, ``id``, or an unknown key),
``front matter`` (the block as a whole), ``path`` and ``issue`` (where the
file goes), ``html`` and ``plan`` (the body), or, for site-wide files that
stop every build, ``registry``, ``facts``, ``clauses``, ``file``. Messages
are Chinese; ``str(error)`` is the build's ``path:line: field: message``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import markdown as markdown_lib

from site_builder import html_policy, plan_facts
from site_builder import registry as registry_ids
from site_builder.articles import Article, directory_url, is_article_path, load_articles
from site_builder.errors import ContentError, SourceError
from site_builder.frontmatter import parse_article


@dataclass(frozen=True)
class ContentCheck:
    articles: list[Article]  # every article that passed contract 1
    published: list[Article]  # those dated on or before the build day
    registry: registry_ids.RegistryCheck
    errors: list[SourceError]


def check_content(
    sources: Mapping[str, str], *, today: dt.date, registered: dict[str, registry_ids.Entry],
    plan: plan_facts.PlanFacts | None,
    rendered: Callable[[Article], bool] = lambda _article: False,
    bodies: Collection[str] | None = None,
    markdown: Callable[[], markdown_lib.Markdown] = html_policy.site_markdown,
    url_of: Callable[[str], str] = directory_url,
) -> ContentCheck:
    """Check the articles ``sources`` (src_uri → file text) as the build does.

    ``rendered``: articles whose HTML the build checks as it renders their page
    (today's pages); every other body is checked here, from its Markdown.
    ``bodies``: the files whose bodies to check (None: all); a draft's check
    needs its own only. ``markdown`` makes the site's Markdown renderer.
    """
    articles, errors = load_articles(sorted(sources.items()), url_of=url_of)
    loaded = {a.src_uri: a for a in articles}
    renderer: markdown_lib.Markdown | None = None
    for src_uri, source in sorted(sources.items()):
        if bodies is not None and src_uri not in bodies:
            continue
        article = loaded.get(src_uri)
        if plan is not None:  # every article, scheduled ones too
            errors += plan_facts.check_markdown(plan, src_uri, source,
                                                near=article.date if article else None)
        if article is None or not rendered(article):
            renderer = renderer or markdown()
            errors += html_policy.check_source(src_uri, source, renderer)
    published = [a for a in articles if a.published_on(today)]
    scheduled = [a for a in articles if not a.published_on(today)]
    result = registry_ids.check(registered, published, scheduled)
    return ContentCheck(articles, published, result, errors + result.errors)


def load_plan(content_dir: Path) -> tuple[plan_facts.PlanFacts | None, list[SourceError]]:
    """The county plan's facts; None for a site without them (a benchmark's)."""
    if not (content_dir / plan_facts.PLAN_FACTS).exists():
        return None, []
    try:
        return plan_facts.load(content_dir), []
    except ContentError as exc:
        return None, exc.errors


def content_sources(content_dir: Path) -> dict[str, str]:
    """The articles of ``content_dir`` as the build sees them (src_uri → text)."""
    found: dict[str, str] = {}
    for file in content_dir.rglob("*.md"):
        src_uri = file.relative_to(content_dir).as_posix()
        # MkDocs leaves out dot files and dot folders.
        if any(part.startswith(".") for part in src_uri.split("/")):
            continue
        if is_article_path(src_uri) and file.is_file():
            found[src_uri] = file.read_text(encoding="utf-8", errors="replace")
    return found


def path_problem(path: str) -> SourceError | None:
    """Where a web-authored article may be written: a plain relative path of an
    article (policy/…, news/…, column/YYYY-MM/…), nothing that climbs out, and not
    the page the build generates there (an issue's booklet.md would be replaced
    by the booklet, the article's id pointing at it)."""
    parts = PurePosixPath(path).parts
    if (not path or "\\" in path or path.startswith("/") or path != PurePosixPath(path).as_posix()
            or any(part in (".", "..") or part.startswith(".") for part in parts)
            or not is_article_path(path)
            or (len(parts) == 3 and parts[0] == "column" and parts[2] == "booklet.md")):
        return SourceError(path or "?", 1, "path",
                           "文章应放在 policy/、news/ 或 column/YYYY-MM/ 下，文件名以 .md 结尾")
    return None


def check_draft(text: str, *, path: str, content_dir: Path, today: dt.date,
                registry: dict[str, registry_ids.Entry] | None = None) -> list[SourceError]:
    """Everything the build would say about ``text`` written to ``content_dir/path``.

    The rest of ``content_dir`` is read as it is (the draft replaces the file at
    ``path`` if there is one), so an id another article or the registry holds
    is reported. ``registry``: the registered ids, if the caller has them;
    otherwise read as the build does (``registry.locate``: the committed file,
    plus ``SITE_REGISTRY``'s). ``today``: the build day to judge by (a draft
    dated later is scheduled: it must be valid, but isn't registered yet).
    Nothing is written. Empty list: the build accepts the draft.
    """
    bad_path = path_problem(path)
    if bad_path is not None:
        return [bad_path]
    sources = content_sources(content_dir)
    sources[path] = text
    plan, site_wide = load_plan(content_dir)
    if registry is None:
        registry, registry_errors = registry_ids.load(registry_ids.locate(content_dir))
        site_wide += registry_errors
    checked = check_content(sources, today=today, registered=registry, plan=plan,
                            bodies={path})
    # Other files' problems are theirs; site-wide ones stop this draft's build too.
    return sorted(site_wide + [e for e in checked.errors if e.path == path]
                  + control_characters(path, text))


# Invisible control characters (a page break pasted from a word processor):
# the site's feeds are XML, which can't hold them, and a tag names a file, so the
# build would stop on them, every later build too. Tab and line breaks are text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CONTROL_MESSAGE = ("含有看不见的控制字符（常见于从其他软件复制粘贴的文字），网站无法发布，"
                    "请删除后重新输入")


def control_characters(path: str, text: str) -> list[SourceError]:
    """An error for each front matter text and for the body of ``text`` that holds
    a control character (YAML writes them as escapes: the values are looked at)."""
    parsed, _errors = parse_article(path, text)
    if parsed is None:
        return []  # the front matter's own errors are reported already
    errors = []
    for key, value in parsed.meta.model_dump().items():
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and _CONTROL.search(v) for v in values):
            errors.append(SourceError(path, parsed.key_lines.get(key, 1), key, _CONTROL_MESSAGE))
    found = _CONTROL.search(parsed.body)
    if found is not None:
        line = parsed.body_line + parsed.body.count("\n", 0, found.start())
        errors.append(SourceError(path, line, "html", _CONTROL_MESSAGE))
    return errors

