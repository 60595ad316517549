"""Real MkDocs builds of the real content, in strict mode."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import ROOT, TODAY, article
from tests.sitebuild import mkdocs_build

FUTURE_ISSUE = "2026-12"
APP_PATHS = ("/app/", "/api/")
SITE_URL = "https://dangjian.example.cn/"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("real")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    shutil.copytree(ROOT / "content", project / "content")
    result = mkdocs_build(project, today=TODAY, site_url=SITE_URL)
    assert result.returncode == 0, result.stderr
    return project


def future_front_matter(key: str) -> set[str]:
    """``key`` of the issue's articles dated after TODAY (the issue is partly out)."""
    values = set()
    for path in (ROOT / "content" / "column" / FUTURE_ISSUE).glob("*.md"):
        text = path.read_text(encoding="utf-8")
        date = re.search(r"^date: (\S+)$", text, re.M)
        assert date, path
        if date.group(1) <= TODAY:
            continue
        match = re.search(rf"^{key}: (.+)$", text, re.M)
        assert match, path
        values.add(match.group(1).strip())
    return values


def future_urls() -> set[str]:
    return {f"column/{FUTURE_ISSUE}/{path.stem}/"
            for path in (ROOT / "content" / "column" / FUTURE_ISSUE).glob("*.md")
            if re.search(r"^date: (\S+)$", path.read_text(encoding="utf-8"), re.M)[1] > TODAY}


def future_ids() -> set[str]:
    return future_front_matter("id")


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_the_committed_id_registry_is_complete(built: Path) -> None:
    before = (ROOT / "content" / ".article-ids").read_text(encoding="utf-8")
    after = (built / "content" / ".article-ids").read_text(encoding="utf-8")
    assert after == before, "build registered new ids: commit content/.article-ids"


def test_pages_are_generated(built: Path) -> None:
    site = built / "site"
    for issue in ("2026-09", "2026-10", "2026-11"):
        index = (site / "column" / issue / "index.html").read_text(encoding="utf-8")
        for label in ("扶贫知识", "部门措施", "先进案例"):
            assert f">{label}</h2>" in index
        assert len(re.findall(r'class="dj-item-meta"', index)) >= 6
        booklet = (site / "column" / issue / "booklet" / "index.html").read_text("utf-8")
        assert booklet.count('class="dj-qr"') == booklet.count('class="dj-booklet-article"') >= 6
        assert f"{SITE_URL}column/{issue}/" in booklet
    home = (site / "column" / "index.html").read_text(encoding="utf-8")
    assert "最新一期：2026年12月" in home
    for page in ("index.html", "policy/index.html", "news/index.html", "tags/index.html",
                 "column/category/knowledge/index.html",
                 "column/2026-11/liangbuchou-exit/index.html"):
        assert (site / page).exists(), page
    front = (site / "index.html").read_text(encoding="utf-8")
    assert "<!-- dj:" not in front  # every home marker was filled
    assert 'href="column/2026-12/chengguo-xianjie/"' in front  # newest column article
    assert 'href="news/news-winter-training/"' in front


def test_article_page_has_meta_neighbours_and_tracker(built: Path) -> None:
    page = (built / "site/column/2026-11/liangbuchou-exit/index.html").read_text("utf-8")
    assert '<time datetime="2026-11-03">' in page and "县扶贫办" in page
    assert 'class="dj-tag"' in page and "阅读约" in page
    assert 'data-dj-article="liangbuchou-exit"' in page
    assert '<script src="../../../assets/dj/tracker.js" defer>' in page
    assert "下一篇" in page and "返回2026年11月目录" in page
    # The tracker goes on article pages only.
    for listing in ("column/2026-11/index.html", "index.html", "tags/index.html"):
        assert "tracker.js" not in (built / "site" / listing).read_text(encoding="utf-8")


def test_navigation_lists_sections_and_issues_not_articles(built: Path) -> None:
    page = (built / "site/policy/index.html").read_text(encoding="utf-8")
    nav = page[page.index('class="md-nav md-nav--primary'): page.index('class="md-content"')]
    targets = set(re.findall(r'href="([^"]+)"', nav))
    assert {"../column/2026-11/", "../column/2026-09/", "../news/", "../tags/"} <= targets
    manifest = json.loads((built / "site/learning-manifest.json").read_text(encoding="utf-8"))
    assert not any(a["url"].strip("/") in href for a in manifest["articles"] for href in targets)
    assert len(targets) < 15


def test_future_articles_are_absent_everywhere(built: Path) -> None:
    site = built / "site"
    ids, urls = future_ids(), future_urls()
    assert len(ids) >= 4 and len(urls) == len(ids)
    for url in urls:
        assert not (site / url).exists(), url
    manifest = json.loads((site / "learning-manifest.json").read_text(encoding="utf-8"))
    assert ids.isdisjoint(a["id"] for a in manifest["articles"])
    everything = [p for p in site.rglob("*") if p.suffix in {".html", ".json", ".xml"}]
    for path in everything:
        text = path.read_text(encoding="utf-8")
        for url in urls:
            assert url not in text, (path, url)
        for title in future_front_matter("title"):
            assert title not in text, (path, title)


def test_preview_builds_future_articles_with_a_banner(tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(ROOT / "content", project / "content")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    result = mkdocs_build(project, today=TODAY, preview=True)
    assert result.returncode == 0, result.stderr
    pages = [project / "site" / url / "index.html" for url in future_urls()]
    assert len(pages) >= 4
    article_pages = pages
    for page in article_pages:
        text = page.read_text(encoding="utf-8")
        assert 'class="dj-preview-banner"' in text and "预览" in text
        assert "tracker.js" not in text  # nothing to credit before publication
    manifest = json.loads((project / "site/learning-manifest.json").read_text("utf-8"))
    assert future_ids().isdisjoint(a["id"] for a in manifest["articles"])


def test_manifest_lists_every_published_article(built: Path) -> None:
    manifest = json.loads((built / "site/learning-manifest.json").read_text(encoding="utf-8"))
    articles = {a["id"]: a for a in manifest["articles"]}
    assert manifest["version"] == 1
    assert manifest["generated_at"].endswith("+08:00")
    entry = articles["liangbuchou-exit"]
    assert entry["url"] == "/column/2026-11/liangbuchou-exit/"
    assert (entry["section"], entry["issue"], entry["category"]) == (
        "column", "2026-11", "knowledge")
    assert entry["required_seconds"] > 60 and entry["chars"] > 400
    sections = {a["section"] for a in manifest["articles"]}
    assert sections == {"column", "policy", "news"}
    for a in manifest["articles"]:
        assert (built / "site" / a["url"].strip("/") / "index.html").exists(), a["url"]
        assert a["published"] <= TODAY


def test_feeds_are_dated_from_front_matter(built: Path) -> None:
    root = ET.parse(built / "site/feed/column.xml").getroot()
    items = root.findall("./channel/item")
    assert len(items) == 20
    assert items[0].findtext("link") == f"{SITE_URL}column/2026-12/chengguo-xianjie/"
    assert items[0].findtext("pubDate") == "Tue, 01 Dec 2026 00:00:00 +0800"
    news = ET.parse(built / "site/feed/news.xml").getroot().findall("./channel/item")
    assert len(news) >= 5
    column_home = (built / "site/column/index.html").read_text(encoding="utf-8")
    assert '<a href="../feed/column.xml" type="application/rss+xml">' in column_home
    news_home = (built / "site/news/index.html").read_text(encoding="utf-8")
    assert '<a href="../feed/news.xml" type="application/rss+xml">' in news_home
    # Material fetches sitemap.xml next to every <link rel=alternate>: none for feeds.
    assert 'rel="alternate"' not in (built / "site/index.html").read_text("utf-8")


def search_hits(site: Path, query: str) -> list[tuple[str, int]]:
    """Rank pages the way lunr matches a term: whole tokens after segmentation."""
    index = json.loads((site / "search/search_index.json").read_text(encoding="utf-8"))
    assert index["config"]["lang"] == ["zh"]
    separator = re.compile(index["config"]["separator"])
    hits: dict[str, int] = {}
    for doc in index["docs"]:
        tokens = separator.split(f"{doc['title']} {doc['text']}")
        count = tokens.count(query) * (1 + 10 * separator.split(doc["title"]).count(query))
        if count:
            page = doc["location"].split("#")[0]
            hits[page] = hits.get(page, 0) + count
    return sorted(hits.items(), key=lambda kv: -kv[1])


def test_chinese_search_finds_a_two_character_word(built: Path) -> None:
    site = built / "site"
    # jieba segments the text at build time; without it "低保" is never a token.
    hits = search_hits(site, "低保")
    assert hits and hits[0][0] == "column/2026-11/minzheng-doudi/"
    hits = search_hits(site, "冬训")
    assert hits[0][0] in {"column/2026-11/dangyuan-dongxun/", "news/news-winter-training/"}
    index = (site / "search/search_index.json").read_text(encoding="utf-8")
    assert "booklet" not in index  # booklets repeat articles; kept out of search
    assert "阅读约" not in index and "上一篇" not in index  # page furniture isn't content


RESOURCE = re.compile(
    r"""<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?"""
    r"""\b(?:src|href|data|srcset|poster)\s*=\s*["']([^"']+)["']""", re.I)
CSS_URL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])([^"')]+)""", re.I)
# A script or style sheet a JS file could load from an absolute address.
JS_LOAD = re.compile(r"""["'`]((?:https?:)?//[^"'`\s]+\.(?:js|css|woff2?|ttf|json))["'`]""")
# Material loads Mermaid from unpkg only for a page with a Mermaid diagram; we have none.
DORMANT_JS_LOADS = {"https://unpkg.com/mermaid@11/dist/mermaid.min.js"}


def is_external(url: str) -> bool:
    return bool(re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url, re.I)) and not url.startswith(
        SITE_URL)


def test_nothing_loads_from_an_outside_host(built: Path) -> None:
    site = built / "site"
    problems = []
    for page in html_files(site):
        text = page.read_text(encoding="utf-8")
        problems += [f"{page}: {u}" for u in RESOURCE.findall(text) if is_external(u)]
        outside_article = re.sub(r"<article.*?</article>", "", text, flags=re.S)
        problems += [f"{page}: link {u}" for u in re.findall(r'href="([^"]+)"', outside_article)
                     if is_external(u)]
        assert 'class="mermaid"' not in text  # would pull Mermaid from unpkg
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text
    for css in site.rglob("*.css"):
        problems += [f"{css}: {u}" for u in CSS_URL.findall(css.read_text("utf-8"))
                     if is_external(u)]
    for js in site.rglob("*.js"):
        loads = set(JS_LOAD.findall(js.read_text(encoding="utf-8")))
        problems += [f"{js}: {u}" for u in loads - DORMANT_JS_LOADS]
    assert problems == []
    assert "repo_url" not in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")


def test_bad_front_matter_fails_the_build_with_path_line_and_field(make_project) -> None:
    project = make_project({
        "column/2026-11/bad.md": article(category="poverty", tags="[精准扶贫]"),
        "news/worse.md": "---\ntitle: 通知\ndate: 2026-11-01\nauthor: 张三\n---\n正文\n",
    })
    result = mkdocs_build(project, today=TODAY)
    assert result.returncode != 0
    assert "column/2026-11/bad.md:4: category: 应为 knowledge（扶贫知识）" in result.stderr
    assert "news/worse.md:4: author: 不认识的键" in result.stderr
    assert not (project / "site" / "learning-manifest.json").exists()


def test_a_published_id_that_disappears_fails_the_build(tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(ROOT / "content", project / "content")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    (project / "content/column/2026-11/minzheng-doudi.md").unlink()
    result = mkdocs_build(project, today=TODAY)
    assert result.returncode != 0
    assert ("column/2026-11/minzheng-doudi.md:1: id: 已发布的 id“minzheng-doudi”应保留"
            in result.stderr)
    registry = project / "content/.article-ids"
    text = registry.read_text(encoding="utf-8").replace(
        "minzheng-doudi\tcolumn/2026-11/minzheng-doudi.md",
        "minzheng-doudi\tcolumn/2026-11/minzheng-doudi.md\tretired")
    registry.write_text(text, encoding="utf-8")
    assert mkdocs_build(project, today=TODAY).returncode == 0


def test_new_articles_are_registered_by_the_build(make_project) -> None:
    project = make_project({"news/fresh.md": article(id="fresh-news")})
    result = mkdocs_build(project, today=TODAY)
    assert result.returncode == 0, result.stderr
    registry = (project / "content/.article-ids").read_text(encoding="utf-8")
    assert "fresh-news\tnews/fresh.md\n" in registry


def test_every_internal_link_resolves(built: Path) -> None:
    """Listings are written as HTML, so MkDocs can't check them: we do."""
    site = built / "site"
    broken = []
    for page in html_files(site):
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r'(?:href|src)="([^"#?]+)[^"]*"', text):
            if is_external(target) or target.startswith(("mailto:", "data:", SITE_URL)):
                continue
            if target.startswith(APP_PATHS):
                continue  # the learning app's pages, on the same origin (README: deployment)
            base = site if target.startswith("/") else page.parent
            resolved = (base / unquote(target).lstrip("/")).resolve()
            if resolved.is_dir():
                resolved = resolved / "index.html"
            if not resolved.exists():
                broken.append(f"{page.relative_to(site)} -> {target}")
    assert broken == []


def test_uploads_go_out_only_with_their_visible_article(make_project) -> None:
    # The newsroom stores uploads in <stem>-files/ beside the article; MkDocs copies
    # every non-page file, so without the plugin's rule the photo of an article
    # scheduled for later would be on the site (and guessable) before the article.
    project = make_project({
        "news/later.md": article("定时发布的稿件", "2026-12-20",
                                 id="later") + "\n![村口合影](later-files/abc.png)\n",
        "news/now.md": article("已发布的稿件", "2026-11-03",
                               id="now") + "\n![会场](now-files/def.png)\n",
    })
    for name in ("later-files/abc.png", "now-files/def.png"):
        (project / "content/news" / name).parent.mkdir(parents=True, exist_ok=True)
        (project / "content/news" / name).write_bytes(b"\x89PNG\r\n\x1a\n")
    # A draft's uploads (no article file yet) and a folder a column draft left
    # behind when its date moved to another month are not published either.
    for name in ("draft-files/123.png", "../column/2026-10/later-files/abc.png"):
        (project / "content/news" / name).parent.mkdir(parents=True, exist_ok=True)
        (project / "content/news" / name).write_bytes(b"\x89PNG\r\n\x1a\n")
    result = mkdocs_build(project, today="2026-11-26")
    assert result.returncode == 0, result.stderr
    assert (project / "site/news/now-files/def.png").is_file()
    assert not (project / "site/news/later-files").exists()
    assert not (project / "site/news/draft-files").exists()
    assert not (project / "site/column/2026-10/later-files").exists()
    result = mkdocs_build(project, today="2026-12-20")
    assert result.returncode == 0, result.stderr
    assert (project / "site/news/later-files/abc.png").is_file()
