"""Issue 11, finding 10: what HTML an article may carry, and titles escaped everywhere."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from site_builder import html_policy
from site_builder.html_policy import check_html, check_markdown
from site_builder.indexes import md_escape
from tests.conftest import ROOT, TODAY, article
from tests.sitebuild import mkdocs_build

HOSTILE_TITLE = '<script>alert(1)</script>"><img src=x onerror=alert(2)></title>'


def messages(text: str) -> list[str]:
    return [p.message for p in check_markdown(text)]


# -- the rule, as a plain function ------------------------------------------------

ALLOWED = """\
段落 **粗体** *斜体* [站内](/app/) [外站](https://example.cn/a?b=1) [邮件](mailto:a@b.cn)

第一行<br>第二行，H<sub>2</sub>O，10<sup>3</sup>，<mark>重点</mark>，
<abbr title="建档立卡">建档</abbr>

<details><summary>展开</summary>

折叠的内容

</details>

| 项目 | 数量 |
|:-----|-----:|
| 户数 | 12 |

!!! note "提示"
    提示内容

<figure><img src="photo.png" alt="照片"><figcaption>图一</figcaption></figure>

## 小标题 {#c1}

一段有锚点的话
{: #c1-1 .dj-note }

<div class="dj-box" markdown>
*Markdown 里的 HTML*
</div>

<!-- 编者注释 -->

A & B < C > D "引号" 'single'
"""


def test_markdown_and_the_allowed_html_pass() -> None:
    assert check_markdown(ALLOWED) == []


@pytest.mark.parametrize(("source", "expected"), [
    ("第一段\n\n<script>alert(1)</script>\n", "不允许的标签 <script>"),
    ("<SCRIPT src=/x.js></SCRIPT>\n", "不允许的标签 <script>"),
    ("图\n\n<img src=a.png onerror=alert(1)>\n", "不允许事件属性 onerror（在 <img> 上）"),
    ("[x](javascript:alert(1))\n", "不允许的地址 javascript:alert(1)（在 <a> 上）"),
    ("[x](&#106;avascript:alert(1))\n", "不允许的地址 javascript:alert(1)"),
    ('<a href="java&#9;script:alert(1)">x</a>\n', "不允许的地址"),
    ('<a href=" JaVaScRiPt:alert(1)">x</a>\n', "不允许的地址"),
    ("<iframe src=/app/></iframe>\n", "不允许的标签 <iframe>"),
    ('<p style="color:red">红字</p>\n', "不允许 style 属性（在 <p> 上）"),
    ('[x](/a){: onclick="alert(1)" }\n', "不允许事件属性 onclick（在 <a> 上）"),
    ("段\n{: style=\"display:none\" }\n", "不允许 style 属性"),
    ("![x](data:image/png;base64,AAAA)\n", "不允许的地址 data:image/png"),
    ("![x](https://evil.example/x.png)\n", "图片须放在本站"),
    ("段\n{: #__config }\n", '不允许的 id="__config"'),
    ("<svg onload=alert(1)></svg>\n", "不允许的标签 <svg>"),
    ("<object data=x.swf></object>\n", "不允许的标签 <object>"),
    ("text <embed src=x.swf> y\n", "不允许的标签 <embed>"),
    ("<style>body{display:none}</style>\n", "不允许的标签 <style>"),
    ("<form action=/app/logout><input name=a></form>\n", "不允许的标签 <form>"),
    ('<meta http-equiv="refresh" content="0">\n', "不允许的标签 <meta>"),
    ("<base href=//evil.example/>\n", "不允许的标签 <base>"),
    ("<link rel=stylesheet href=//evil.example/a.css>\n", "不允许的标签 <link>"),
    ('<a href="/x" target="_blank">x</a>\n', "不允许的属性 target（在 <a> 上）"),
    ('<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>\n',
     "不允许的标签 <noscript>"),
])
def test_each_forbidden_construct_is_named(source: str, expected: str) -> None:
    found = messages(source)
    assert any(expected in m for m in found), found


def test_problems_carry_the_source_line() -> None:
    text = "第一段\n\n第二段\n\n<script>alert(1)</script>\n\n[x](javascript:void(0))\n"
    problems = check_markdown(text, first_line=7)
    assert [(p.line, p.message.split("，")[0].split("（")[0]) for p in problems] == [
        (11, "不允许的标签 <script>"), (13, "不允许的地址 javascript:void(0)")]


def test_escaped_text_that_looks_like_html_is_fine() -> None:
    assert check_markdown("正文 &lt;script&gt;alert(1)&lt;/script&gt; 第一段。\n") == []
    assert check_markdown("`<script>alert(1)</script>`\n") == []
    assert check_markdown("```\n<img src=x onerror=alert(1)>\n```\n") == []


def test_check_html_takes_html_too() -> None:
    # the newsroom may hold HTML; the same rule applies
    assert check_html("<p>好<br />的</p>") == []
    [problem] = check_html("<p>一</p>\n<p>二<img src=x onerror=alert(1)></p>")
    assert problem.line == 2 and "onerror" in problem.message


class _Loader(yaml.SafeLoader):
    """mkdocs.yml with its !ENV and python tags read as nothing."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def test_the_rule_renders_markdown_as_the_site_does() -> None:
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)
    names = [next(iter(e)) if isinstance(e, dict) else e for e in config["markdown_extensions"]]
    assert tuple(names) == html_policy.MARKDOWN_EXTENSIONS


def test_md_escape_shows_text_as_written() -> None:
    assert md_escape("<b>x</b> & [y]") == "&lt;b\\>x&lt;/b\\> &amp; \\[y\\]"


# -- the build ----------------------------------------------------------------------

class Live(HTMLParser):
    """Elements and attributes a browser would create from a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def live(path: Path) -> Live:
    parser = Live()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def assert_nothing_live(page: Path) -> None:
    parsed = live(page)
    for tag, attrs in parsed.tags:
        assert tag != "iframe", page
        assert not any(name.startswith("on") for name in attrs), (page, tag, attrs)
        assert not (tag == "img" and attrs.get("src") == "x"), page
        assert not (tag == "script" and "src" not in attrs and "alert" in str(attrs)), page
    text = page.read_text(encoding="utf-8")
    assert "<script>alert" not in text and "<img src=x" not in text, page


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("hostile")
    (project / "mkdocs.yml").write_text((ROOT / "mkdocs.yml").read_text(encoding="utf-8"),
                                        encoding="utf-8")
    files = {
        "column/2026-11/evil.md": article(
            title=json.dumps(HOSTILE_TITLE), category="knowledge",
            department=json.dumps("<img src=x onerror=alert(3)>"),
            summary=json.dumps("<img src=x onerror=alert(4)>"),
            tags=json.dumps(["<img src=x onerror=alert(5)>", "精准扶贫"]),
            id="evil"),
        "column/2026-11/next.md": article(title="下一篇", category="cases",
                                          date="2026-11-04"),
        "news/n.md": article(title="普通新闻"),
        # a page without a title in front matter: MkDocs takes its first heading
        "about.md": "# &lt;/title&gt;&lt;svg onload=alert(6)&gt; 关于\n\n正文\n",
        "index.md": "---\ntitle: 首页\n---\n\n# 首页\n\n<!-- dj:latest-issue -->\n",
    }
    for rel, text in files.items():
        (project / "content" / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / "content" / rel).write_text(text, encoding="utf-8")
    result = mkdocs_build(project, today=TODAY)
    assert result.returncode == 0, result.stderr
    return project / "site"


def test_a_hostile_title_is_text_in_every_page(hostile_site: Path) -> None:
    pages = sorted(hostile_site.rglob("*.html"))
    assert len(pages) > 8
    for page in pages:
        assert_nothing_live(page)
    article_page = live(hostile_site / "column/2026-11/evil/index.html")
    # <title> and the theme's header hold the title as text, not markup
    assert article_page.title.strip().startswith(HOSTILE_TITLE)
    html = (hostile_site / "column/2026-11/evil/index.html").read_text(encoding="utf-8")
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # <title>, header, h1
    about = live(hostile_site / "about/index.html")
    assert about.title.strip().startswith("</title><svg onload=alert(6)> 关于")
    for listing in ("column/2026-11/index.html", "column/2026-11/booklet/index.html",
                    "index.html", "column/index.html"):
        assert "alert(1)" in (hostile_site / listing).read_text(encoding="utf-8"), listing


def test_search_index_feeds_and_manifest_hold_the_title_safely(hostile_site: Path) -> None:
    index = json.loads((hostile_site / "search/search_index.json").read_text("utf-8"))
    [doc] = [d for d in index["docs"] if d["location"] == "column/2026-11/evil/"]
    # Material's search renders titles and tags as HTML: they must be escaped
    assert doc["title"].startswith("&lt;script&gt;alert(1)")
    assert "<" not in doc["title"] and all("<" not in tag for tag in doc["tags"])
    for doc in index["docs"]:
        assert "<script" not in doc["title"] and "<img" not in doc["title"], doc
        assert "<script" not in doc["text"] and "<img" not in doc["text"], doc
    manifest = json.loads((hostile_site / "learning-manifest.json").read_text("utf-8"))
    assert manifest["articles"][0]["title"] == HOSTILE_TITLE  # JSON: data, not markup
    feed = (hostile_site / "feed/column.xml").read_text(encoding="utf-8")
    assert "<script>" not in feed and "&lt;script&gt;alert(1)" in feed


BAD_FILES = {
    "news/script.md": "<script>alert(1)</script>\n",
    "news/onerror.md": "<img src=a.png onerror=alert(1)>\n",
    "news/jslink.md": "[点这里](javascript:alert(1))\n",
    "news/iframe.md": "<iframe src=/app/></iframe>\n",
    "news/style.md": '<p style="position:fixed">假通知</p>\n',
}


def test_the_build_refuses_each_forbidden_construct_naming_the_file(make_project) -> None:
    files = {path: article(title="正常标题").replace("第二段内容。\n", "第二段内容。\n\n" + body)
             for path, body in BAD_FILES.items()}
    files["news/fine.md"] = article(title="正常") + "\n" + ALLOWED
    project = make_project(files)
    result = mkdocs_build(project, today=TODAY)
    assert result.returncode != 0
    err = result.stderr
    # front matter on lines 1-4, the sample body on 6-10, the HTML on line 12
    assert "news/script.md:12: html: 不允许的标签 <script>" in err, err
    assert "news/onerror.md:12: html: 不允许事件属性 onerror（在 <img> 上）" in err
    assert "news/jslink.md:12: html: 不允许的地址 javascript:alert(1)（在 <a> 上）" in err
    assert "news/iframe.md:12: html: 不允许的标签 <iframe>" in err
    assert "news/style.md:12: html: 不允许 style 属性（在 <p> 上）" in err
    assert "news/fine.md" not in err
    assert "5 content error(s)" in err
    assert not (project / "site" / "learning-manifest.json").exists()


def test_a_scheduled_article_is_checked_before_its_day(make_project) -> None:
    body = article(title="下月文章", date="2027-01-05") + "\n<script>alert(1)</script>\n"
    project = make_project({"news/later.md": body, "news/now.md": article(title="今天")})
    result = mkdocs_build(project, today=TODAY)
    assert result.returncode != 0
    assert "news/later.md:12: html: 不允许的标签 <script>" in result.stderr
