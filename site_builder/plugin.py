"""MkDocs event handlers: thin glue over the plain functions of this package."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import markdown as markdown_lib
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from site_builder import csp, drafts, html_policy, plan_facts, registry
from site_builder.articles import Article, is_article_path
from site_builder.booklet import QrCodes, booklet_markdown, fill_booklet, qr_figure
from site_builder.config import SiteBuilderConfig
from site_builder.errors import ContentError, SourceError
from site_builder.feeds import FEEDS, rss
from site_builder.frontmatter import split_front_matter
from site_builder.indexes import (
    booklet_src,
    by_issue,
    fill_markers,
    generated_pages,
    home_blocks,
    issue_neighbours,
    issue_src,
    restore_lists,
    stash_lists,
    tag_src,
)
from site_builder.manifest import TZ, build_manifest, build_time, dump
from site_builder.navigation import build_nav
from site_builder.render import article_header, neighbours_nav, tracker_tag

if TYPE_CHECKING:
    from mkdocs.structure.nav import Navigation

log = logging.getLogger("mkdocs.plugins.site_builder")
PACKAGE = Path(__file__).parent
TEMPLATES = PACKAGE / "templates"  # overrides of the theme's templates (escaped titles)
ASSETS = {"assets/dj/site.css": PACKAGE / "assets" / "site.css",
          "assets/dj/a11y.js": PACKAGE / "assets" / "a11y.js",
          "assets/dj/tracker.js": PACKAGE / "assets" / "tracker.js"}


class SiteBuilderPlugin(BasePlugin[SiteBuilderConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.today = dt.date.today()
        self.published: list[Article] = []
        self.visible: dict[str, Article] = {}
        self.bodies: dict[str, str] = {}
        self.qr: QrCodes | None = None
        self.issues: dict[str, list[Article]] = {}
        self.neighbours: dict[str, tuple[Article | None, Article | None]] = {}
        self.fragments: dict[str, list[str]] = {}
        self.files = Files([])
        self.site_url = "/"
        self.html_errors: list[SourceError] = []
        self.theme_scripts = csp.ThemeScripts([])
        self.script_hashes: set[str] = set()

    # -- configuration -------------------------------------------------------

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        today = self.config.today
        if isinstance(today, str):
            today = dt.date.fromisoformat(today) if today else dt.datetime.now(TZ).date()
        self.today = today
        for extension in ("attr_list", "md_in_html"):
            if extension not in config.markdown_extensions:
                config.markdown_extensions.append(extension)
        for extension, options in html_policy.MARKDOWN_CONFIGS.items():
            config.mdx_configs.setdefault(extension, {}).update(options)
        if str(TEMPLATES) not in config.theme.dirs:
            # After a project's custom_dir (its main.html wins), before the theme's.
            config.theme.dirs.insert(1 if config.theme.custom_dir else 0, str(TEMPLATES))
        self.theme_scripts = csp.ThemeScripts.from_dirs(config.theme.dirs)
        self.html_errors = []
        self.script_hashes = set()
        config.extra_css.append("assets/dj/site.css")
        config.extra_javascript.append("assets/dj/a11y.js")
        self.site_url = config.site_url or "/"
        return config

    # -- files and navigation ------------------------------------------------

    @event_priority(-50)
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        pages = {f.src_uri: f for f in files.documentation_pages() if is_article_path(f.src_uri)}
        docs_dir = Path(config.docs_dir)
        facts_file = files.get_file_from_path(plan_facts.PLAN_FACTS)
        plan: plan_facts.PlanFacts | None = None
        errors: list[SourceError] = []
        if facts_file is not None:  # a site without the county plan: a benchmark's
            files.remove(facts_file)  # the build's input, not a page of the site
            plan, errors = drafts.load_plan(docs_dir)
        project_dir = (Path(config.config_file_path).parent if config.config_file_path
                       else Path.cwd())
        registry_files = registry.locate(docs_dir, project_dir=project_dir,
                                         name=self.config.registry)
        registered, registry_errors = registry.load(registry_files)
        preview = self.config.preview
        # The same checks as a newsroom draft's (drafts.check_draft). Scheduled
        # articles go live without a build of their own: their HTML is checked now.
        checked = drafts.check_content(
            {src: f.content_string for src, f in pages.items()},
            today=self.today, registered=registered, plan=plan,
            rendered=lambda article: preview or article.published_on(self.today),
            markdown=lambda: markdown_lib.Markdown(extensions=config.markdown_extensions,
                                                   extension_configs=config.mdx_configs),
            url_of=lambda src: pages[src].url)
        errors += registry_errors + checked.errors
        if errors:
            raise PluginError(ContentError(errors).render())
        result = checked.registry
        if result.changed and registry.save(registry_files, result.entries):
            if registry_files.separate:
                log.info("Registered %d new article id(s) in %s (%s; not committed)",
                         len(result.added), registry_files.target, registry.ENV)
            else:
                log.info("Registered %d new article id(s) in %s: commit it with the content",
                         len(result.added), registry_files.target)
        articles, published = checked.articles, checked.published

        visible = published
        if self.config.preview:
            visible = articles
        else:
            for article in articles:
                if not article.published_on(self.today):
                    files.remove(pages[article.src_uri])
        # The newsroom stores an article's photos and attachments in
        # ``<stem>-files/`` beside it, from the first upload of the draft: they go
        # out only with a visible article (not a draft's, a scheduled one's, or
        # a folder left behind when a column draft moved to another month).
        shown = {a.src_uri[: -len(".md")] for a in visible}
        for file in [f for f in files if _media_owner(f.src_uri) not in (None, *shown)]:
            files.remove(file)
        self.published = published
        self.visible = {a.src_uri: a for a in visible}
        self.bodies = {}
        self.files = files

        generated = generated_pages(visible)
        issues = by_issue(a for a in visible if a.section == "column")
        self.issues = issues
        self.neighbours = issue_neighbours(issues)
        if self.config.booklets:
            for issue, issue_articles in issues.items():
                generated[booklet_src(issue)] = booklet_markdown(
                    issue, issue_articles, config.site_name)
            self.qr = QrCodes(Path(self.config.cache_dir) if self.config.cache_dir else None)
            self.qr.prepare(self._absolute(a.url) for a in visible if a.issue)
        self.fragments = {}
        for src_uri, markdown in generated.items():
            existing = files.get_file_from_path(src_uri)
            if existing is not None:
                files.remove(existing)
            markdown, self.fragments[src_uri] = stash_lists(markdown)
            files.append(File.generated(config, src_uri, content=markdown))
        for src_uri, path in ASSETS.items():
            files.append(File.generated(config, src_uri, abs_src_path=str(path)))
        if self.config.navigation:
            config.nav = build_nav(list(issues), has_home=files.get_file_from_path(
                "index.md") is not None)
        return files

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        for item in nav.items:
            _escape_nav_titles(item)
        return nav

    # -- pages ---------------------------------------------------------------

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig,
                         files: Files) -> str:
        if page.file.src_uri == "index.md":
            markdown = fill_markers(markdown, home_blocks(list(self.visible.values())))
            markdown, self.fragments["index.md"] = stash_lists(markdown)
        return markdown

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig,
                        files: Files) -> str:
        _escape_page_title(page)
        if page.file.generated_by is None:
            self._check_html(page, html)
        fragments = self.fragments.get(page.file.src_uri)
        if fragments:
            return restore_lists(html, fragments)
        article = self.visible.get(page.file.src_uri)
        if article is not None:
            self.bodies[article.id] = html
        return html

    def _check_html(self, page: Page, html: str) -> None:
        """The rendered content of a page written in content/ against the HTML rule."""
        problems = html_policy.check_html(html)
        if problems:
            _yaml, body, _start, body_line = split_front_matter(page.file.content_string)
            problems = html_policy.locate(problems, body, body_line)
            self.html_errors += html_policy.source_errors(page.file.src_uri, problems,
                                                          body_line)

    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        # Every page is rendered by now: report all HTML problems in one pass.
        if self.html_errors:
            raise PluginError(ContentError(self.html_errors).render())
        return env

    @event_priority(-100)  # after search indexed the article's own text
    def on_page_context(self, context: dict[str, Any], *, page: Page, config: MkDocsConfig,
                        nav: Any) -> dict[str, Any]:
        """Decorate articles and fill booklets once their content is final.

        Running after the search plugin keeps the meta line, prev/next and
        tracker out of the search index, and search doesn't pay for them.
        """
        src = page.file.src_uri
        article = self.visible.get(src)
        if article is not None:
            page.content = self._decorate(article, page, page.content or "")
        elif self.qr is not None and src.startswith("column/") and src.endswith("/booklet.md"):
            members = self.issues.get(src.split("/")[1], [])
            figures = {a.id: qr_figure(self.qr.get(self._absolute(a.url)), self._absolute(a.url))
                       for a in members}
            page.content = fill_booklet(page.content or "", self.bodies, figures)
        return context

    def _decorate(self, article: Article, page: Page, html: str) -> str:
        files = self.files

        def href(src_uri: str) -> str:
            target = files.get_file_from_path(src_uri)
            return get_relative_url(target.url, page.url) if target else ""

        header = article_header(article, lambda tag: href(tag_src(tag)),
                                preview=self.config.preview, today=self.today)
        footer = ""
        if article.issue:
            previous, following = self.neighbours[article.src_uri]
            footer = neighbours_nav(
                (previous, href(previous.src_uri)) if previous else None,
                (following, href(following.src_uri)) if following else None,
                href(issue_src(article.issue)), article.issue)
        if self.config.tracker and article.published_on(self.today):
            footer += tracker_tag(article, href("assets/dj/tracker.js"))
        return header + html + footer

    # -- outputs -------------------------------------------------------------

    @event_priority(-100)  # the finished page, after any other plugin's changes
    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        return self._with_policy(output, page.file.src_uri)

    @event_priority(-100)
    def on_post_template(self, output_content: str, *, template_name: str,
                         config: MkDocsConfig) -> str:
        if not template_name.endswith(".html"):
            return output_content
        return self._with_policy(output_content, template_name)

    def _with_policy(self, html: str, name: str) -> str:
        scripts = csp.inline_scripts(html)
        unknown = [body for body in scripts if not self.theme_scripts.recognises(body)]
        if unknown:
            raise PluginError(f"{name}: 页面含有主题之外的内联脚本（可能是注入）："
                              f"{unknown[0][:80]!r}")
        hashes = {csp.script_hash(body) for body in scripts}
        self.script_hashes |= hashes
        return csp.add_meta(html, csp.policy(hashes))

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        site = Path(config.site_dir)
        (site / csp.CSP_FILE).write_text(
            csp.policy(self.script_hashes, header=True) + "\n", encoding="utf-8")
        (site / "learning-manifest.json").write_text(
            dump(build_manifest(self.published, build_time())), encoding="utf-8")
        if self.config.feeds:
            for section, (path, _label) in FEEDS.items():
                target = site / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(rss(section, self.published, config.site_name,
                                       config.site_url or "/"))
        if self.qr is not None:
            self.qr.close()

    def on_build_error(self, *, error: Exception) -> None:
        if self.qr is not None:
            self.qr.close()

    def _absolute(self, url: str) -> str:
        return f"{self.site_url.rstrip('/')}/{url}"


def _escape_page_title(page: Page) -> None:
    """Hand the templates and the search index every title as escaped HTML.

    Material prints page.title and page.meta's texts raw, and its search
    renders titles and tags from the index as HTML.
    """
    for key in html_policy.META_TEXTS:
        if isinstance(page.meta.get(key), str):
            page.meta[key] = html_policy.title_from_text(page.meta[key])
    if isinstance(page.meta.get("tags"), list):
        page.meta["tags"] = [html_policy.title_from_text(tag) if isinstance(tag, str) else tag
                             for tag in page.meta["tags"]]
    explicit = page.__dict__.get("title")  # a title given in the nav config: text
    if isinstance(explicit, str):
        page.title = html_policy.title_from_text(explicit)
    elif "title" not in page.meta and page.title:
        page.title = html_policy.title_from_html(page.title)


def _escape_nav_titles(item: Any) -> None:
    if not hasattr(item, "file") and isinstance(getattr(item, "title", None), str):
        item.title = html_policy.title_from_text(item.title)  # sections and links
    for child in getattr(item, "children", None) or []:
        _escape_nav_titles(child)


def _media_owner(src_uri: str) -> str | None:
    """The article stem a file in a ``<stem>-files/`` folder belongs to, if any."""
    folder, _, _name = src_uri.rpartition("/")
    if not folder.endswith("-files"):
        return None
    return folder[: -len("-files")]
