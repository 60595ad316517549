"""What HTML an article may carry (docs/contracts.md, "HTML in content").

The site shares its origin with the app, so a script in an article runs with a
signed-in member's session. The rule: an article is Markdown, plus the raw
HTML of ``ALLOWED_TAGS`` with the attributes of ``ALLOWED_ATTRIBUTES``; links
go to the site itself or to ``URL_SCHEMES``; images live on the site. Formally,
the rendered HTML must come out of nh3 (ammonia) with this allow-list
unchanged. Whatever nh3 would remove is a problem the build reports by name.

``check_markdown`` and ``check_html`` are plain functions: the build calls them
for every page from ``content/``, and web authoring (the newsroom) calls the
same ones before it writes an article.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from html.parser import HTMLParser
from typing import Any

import markdown as markdown_lib
import nh3
from markupsafe import Markup, escape
from pymdownx import slugs

from site_builder import csp
from site_builder.errors import SourceError
from site_builder.frontmatter import split_front_matter

ALLOWED_TAGS = frozenset({
    # what Python-Markdown and its extensions (tables, toc, admonition,
    # attr_list, md_in_html) produce
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "a", "img", "ul", "ol",
    "li", "blockquote", "code", "pre", "hr", "br", "div", "span",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    # raw HTML an editor may write
    "sup", "sub", "mark", "abbr", "details", "summary", "figure", "figcaption",
    "b", "i", "s", "u", "small", "kbd", "q", "cite", "dl", "dt", "dd",
})
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "id", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "th": {"align", "colspan", "rowspan"},  # align: tables' use_align_attribute
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "details": {"open"},
}
# Links to these schemes, or relative to the site. Not javascript:, not data:
# (not even for images: pictures are files next to the article).
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# The site's Markdown (mkdocs.yml's markdown_extensions; tests keep them equal).
MARKDOWN_EXTENSIONS = ("tables", "toc", "admonition", "attr_list", "md_in_html")
MARKDOWN_CONFIGS: dict[str, dict[str, Any]] = {"tables": {"use_align_attribute": True}}
# Front matter texts the theme prints into pages (as HTML, so they are escaped).
META_TEXTS = ("title", "description", "author", "subtitle")
RULE = "见 docs/contracts.md《正文可用的 HTML》"

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def _url_scheme(value: str) -> str | None:
    # As a browser reads it: tabs and newlines vanish, edges are trimmed.
    cleaned = re.sub(r"[\t\n\r]", "", value).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08"
                                                    "\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14"
                                                    "\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d"
                                                    "\x1e\x1f ")
    match = _SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


def _is_outside(url: str) -> bool:
    return _url_scheme(url) is not None or url.strip().startswith(("//", "\\\\", "/\\", "\\/"))


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "id" and value.startswith("_"):
        return None  # Material's own ids (__config, __drawer, __search…): no clobbering
    if tag == "img" and attribute == "src" and _is_outside(value):
        return None  # the CSP allows images from the site only
    return value


CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS), attributes=ALLOWED_ATTRIBUTES, url_schemes=set(URL_SCHEMES),
    attribute_filter=_attribute_filter, link_rel=None, strip_comments=False,
)


@dataclass(frozen=True)
class HtmlProblem:
    """One thing the rule removes: a Chinese message, and the line when known."""

    line: int | None
    message: str
    needle: str = ""  # text to look for in the Markdown source, to find the line


Token = tuple[Any, ...]


class _Tokens(HTMLParser):
    """Start tags with their attributes, text, and comments; end tags don't carry
    script, and the two parsers close elements differently. Comments are kept
    because the stdlib parser ends some where browsers (and nh3) don't: to it
    ``<!--><svg onload=…><!---->`` is one comment, to a browser an empty one
    and a live tag. Comparing the comments' texts tells the two readings apart."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[Token] = []
        self.lines: list[int] = []

    def _add(self, token: Token) -> None:
        self.tokens.append(token)
        self.lines.append(self.getpos()[0])

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._add(("tag", tag, tuple((name, value or "") for name, value in attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        # One run of text between two tags (the whole input is fed at once).
        text = data.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
        if text:
            self._add(("text", text))

    def handle_comment(self, data: str) -> None:
        self._add(("comment", data))

    def handle_decl(self, decl: str) -> None:
        self._add(("decl", decl))

    def unknown_decl(self, data: str) -> None:
        self._add(("decl", data))

    def handle_pi(self, data: str) -> None:
        self._add(("decl", data))


def _tokens(html: str) -> _Tokens:
    parser = _Tokens()
    parser.feed(html)
    parser.close()
    return parser


def _short(value: str, limit: int = 40) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _attribute_problem(tag: str, name: str, value: str, line: int) -> HtmlProblem:
    where = f"（在 <{tag}> 上）"
    if name.startswith("on"):
        return HtmlProblem(line, f"不允许事件属性 {name}{where}：正文不能带脚本", name)
    if name == "style":
        return HtmlProblem(line, f"不允许 style 属性{where}：样式由网站统一设定", "style")
    if name in ("href", "src"):
        scheme = _url_scheme(value)
        if tag == "img" and name == "src" and scheme in (None, "http", "https"):
            return HtmlProblem(line, f"图片须放在本站，不能引用外部地址 {_short(value)}",
                               value.strip()[:30])
        needle = f"{scheme}:" if scheme else value.strip()[:30]
        return HtmlProblem(line, f"不允许的地址 {_short(value)}{where}：只能链接本站或 "
                                 "http、https、mailto、tel 地址", needle)
    if name == "id":
        return HtmlProblem(line, f'不允许的 id="{_short(value)}"{where}：下划线开头的 id '
                                 "留给网站本身", value)
    return HtmlProblem(line, f"不允许的属性 {name}{where}，{RULE}", name)


def _explain(before: _Tokens, after: list[Token]) -> list[HtmlProblem]:
    """Name what sanitising removed: tags, attributes, text."""
    problems: list[HtmlProblem] = []
    matcher = SequenceMatcher(None, before.tokens, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("equal", "insert"):
            continue  # an insert is the parser completing structure, not content
        kept = [t for t in after[j1:j2] if t[0] == "tag"]
        # Removing a tag joins the text around it: text that survives is fine.
        kept_text = "".join(t[1] for t in after[j1:j2] if t[0] == "text")
        explained = False  # text right after a removed tag is that tag's content
        for index in range(i1, i2):
            token, line = before.tokens[index], before.lines[index]
            if token[0] == "tag":
                _kind, tag, attrs = token
                twin = next((t for t in kept if t[1] == tag), None)
                if twin is None:
                    problems.append(HtmlProblem(line, f"不允许的标签 <{tag}>，{RULE}", f"<{tag}"))
                    explained = True
                    continue
                kept.remove(twin)
                gone = Counter(attrs) - Counter(twin[2])
                problems += [_attribute_problem(tag, name, value, line) for name, value in gone]
                explained = False
            elif token[0] == "comment":
                problems.append(HtmlProblem(
                    line, "HTML 注释的写法不规范（如 <!--> 或 <!--->），浏览器会提前结束注释，"
                          f"把后面的内容当作网页代码，{RULE}", "<!--"))
            elif token[0] == "decl":
                problems.append(HtmlProblem(line, f"不允许的 HTML 声明 <!{_short(token[1])}>",
                                            "<!"))
            elif token[1] in kept_text or token[1].isspace():
                explained = False
            elif not explained:
                problems.append(HtmlProblem(
                    line, f"HTML 结构有误，净化时改动了文字“{_short(token[1])}”，{RULE}",
                    _short(token[1], 20).strip()))
    if not problems:  # a difference the steps above don't name: still not allowed
        problems.append(HtmlProblem(None, f"HTML 结构有误，净化后内容有变化，{RULE}"))
    return problems


def check_html(html: str) -> list[HtmlProblem]:
    """Problems of rendered HTML against the rule (empty: it may be published).

    Lines are lines of ``html``.
    """
    problems = _sanitised_away(html)
    if not problems and csp.inline_scripts(html):
        # What the build refuses on every page (plugin._with_policy reads "<script>"
        # even in a comment or an attribute): refused here too, or it would be
        # written into content/ and stop every later build.
        problems = [HtmlProblem(None, "正文里（包括注释和属性值中）不能出现 <script>，"
                                      f"{RULE}", "<script")]
    return problems


def _sanitised_away(html: str) -> list[HtmlProblem]:
    cleaned = CLEANER.clean(html)
    if cleaned == html:
        return []
    before = _tokens(html)
    after = _tokens(cleaned).tokens
    if before.tokens == after:
        return []  # only serialisation differs (quotes, <br /> and the like)
    return _explain(before, after)


def site_markdown() -> markdown_lib.Markdown:
    """A Markdown renderer configured as the site's (for callers outside MkDocs).

    Headings get mkdocs.yml's ids: the default slugify turns a Chinese heading
    into ``_1``, an id the rule refuses, where the site writes ``小标题``.
    """
    configs = {**MARKDOWN_CONFIGS,
               "toc": {"permalink": False, "slugify": slugs.slugify(case="lower")}}
    return markdown_lib.Markdown(extensions=list(MARKDOWN_EXTENSIONS),
                                 extension_configs=configs)


def locate(problems: list[HtmlProblem], source: str, first_line: int = 1
           ) -> list[HtmlProblem]:
    """Give each problem the line of ``source`` where its tag or attribute is written.

    Markdown keeps no source positions, so this searches the text; repeated
    problems of one kind take successive occurrences. ``first_line`` is the
    line number of ``source``'s first line in its file. Not found: line None.
    """
    lines = source.splitlines()
    cursor: dict[str, int] = {}
    located = []
    for problem in problems:
        line = None
        needle = problem.needle.lower()
        if needle:
            start = cursor.get(needle, 0)
            for index in range(start, len(lines)):
                if needle in lines[index].lower():
                    line = first_line + index
                    cursor[needle] = index + 1
                    break
        located.append(HtmlProblem(line, problem.message, problem.needle))
    return located


def check_markdown(text: str, *, first_line: int = 1,
                   renderer: markdown_lib.Markdown | None = None) -> list[HtmlProblem]:
    """Render ``text`` as the site does and check it; lines are lines of ``text``
    (numbered from ``first_line``)."""
    md = renderer or site_markdown()
    md.reset()
    try:
        html = md.convert(text)
    except RecursionError:
        html = None
    if html is None or nesting_depth(html) > MAX_NESTING:
        # MkDocs renders in its own process, with its own stack: a text nested
        # nearly as deep as this one can render would stop every build there.
        return [HtmlProblem(None, f"正文的嵌套层次太深（超过{MAX_NESTING}层），请简化结构")]
    return locate(check_html(html), text, first_line)


MAX_NESTING = 64  # elements inside elements; real articles use a dozen at most
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                   "meta", "source", "track", "wbr"})


class _Depth(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = self.deepest = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID:
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)

    def handle_endtag(self, tag: str) -> None:
        self.depth = max(0, self.depth - 1)


def nesting_depth(html: str) -> int:
    """How deep the elements of ``html`` nest (a count, no recursion)."""
    parser = _Depth()
    parser.feed(html)
    parser.close()
    return parser.deepest


def check_source(path: str, source: str, renderer: markdown_lib.Markdown | None = None
                 ) -> list[SourceError]:
    """A whole file of ``content/`` (front matter, then Markdown) as build errors."""
    _yaml, body, _start, body_line = split_front_matter(source)
    return source_errors(path, check_markdown(body, first_line=body_line, renderer=renderer),
                         body_line)


def source_errors(path: str, problems: list[HtmlProblem], default_line: int
                  ) -> list[SourceError]:
    """The build's ``path:line: html: …`` errors, one per problem."""
    seen: set[tuple[int, str]] = set()
    errors = []
    for problem in problems:
        key = (problem.line or default_line, problem.message)
        if key not in seen:
            seen.add(key)
            errors.append(SourceError(path, key[0], "html", problem.message))
    return errors


def title_from_text(title: str) -> Markup:
    """A title written as text (front matter, nav labels) as HTML, escaped once."""
    return title if isinstance(title, Markup) else escape(title)


def title_from_html(title: str) -> Markup:
    """A title MkDocs took from a rendered heading (HTML, tags stripped) as HTML
    holding text only: whatever looked like a tag becomes visible text."""
    return title if isinstance(title, Markup) else escape(Markup(title).striptags())
