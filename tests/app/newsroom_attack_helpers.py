"""Helpers of the newsroom attack tests: script payloads, a reader of the built site
that looks for script the way a browser would find it, and the way through review.

The built pages are parsed with lxml (libxml2 2.13+ tokenises HTML as the HTML5
standard says, so ``<!-->`` is an empty comment to it, as to a browser): Python's
html.parser reads some comments differently and would miss what a browser runs.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html

from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.models import Member, NewsArticle
from learning_app.newsroom import jobs, service

# Every payload calls alert(): no script of the theme does, so an inline script
# mentioning it came from a payload.
MARK = "alert("

BODY_PAYLOADS: dict[str, str] = {
    "script": "<script>alert(1)</script>",
    "script-upper": "<SCRIPT SRC=/x.js></SCRIPT>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "img-upper": "<IMG SRC=x ONERROR=alert(1)>",
    "img-slash": "<img/src=x/onerror=alert(1)>",
    "svg-onload": "<svg onload=alert(1)>",
    "svg-style": "<svg><style><img src=x onerror=alert(1)></style></svg>",
    "math-mxss": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "iframe": '<iframe src="javascript:alert(1)"></iframe>',
    "object": '<object data="javascript:alert(1)"></object>',
    "embed": '<embed src="javascript:alert(1)">',
    "form": '<form action="javascript:alert(1)"><button>x</button></form>',
    "formaction": '<button formaction="javascript:alert(1)">x</button>',
    "base": '<base href="javascript:/">',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "style-tag": "<style>@import 'javascript:alert(1)'</style>",
    "details-ontoggle": "<details open ontoggle=alert(1)><summary>x</summary></details>",
    "a-javascript": '<a href="javascript:alert(1)">x</a>',
    "a-entities": '<a href="&#106;&#97;vascript:alert(1)">x</a>',
    "a-entities-no-semicolon": '<a href="&#106&#97vascript:alert(1)">x</a>',
    "a-tab-entity": '<a href="java&#9;script:alert(1)">x</a>',
    "a-control-char": '<a href="\x01javascript:alert(1)">x</a>',
    "a-mixed-case": '<a href=" JaVaScRiPt:alert(1)">x</a>',
    "a-xlink": '<a xlink:href="javascript:alert(1)">x</a>',
    "img-srcset": '<img src="a.png" srcset="javascript:alert(1)">',
    "md-javascript": "[x](javascript:alert(1))",
    "md-mixed-case": "[x](JaVaScRiPt:alert(1))",
    "md-data": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "md-vbscript": "[x](vbscript:msgbox(alert(1)))",
    "md-image-javascript": "![x](javascript:alert(1))",
    "md-image-data-svg": "![x](data:image/svg+xml,%3Csvg%20onload%3Dalert(1)%3E)",
    "md-angle-target": "[x](<javascript:alert(1)>)",
    "md-tab-in-scheme": "[x](java\tscript:alert(1))",
    "md-entity-decimal": "[x](&#106;avascript:alert(1))",
    "md-entity-hex": "[x](&#x6A;avascript:alert(1))",
    "md-entity-tab": "[x](java&#x09;script:alert(1))",
    "md-entity-colon": "[x](javascript&colon;alert(1))",
    "md-entity-colon-number": "[x](javascript&#58;alert(1))",
    "autolink": "<javascript:alert(1)>",
    "autolink-upper": "<JAVASCRIPT:alert(1)>",
    "reference-link": "[x][r]\n\n[r]: javascript:alert(1)",
    "reference-image": "![x][r]\n\n[r]: javascript:alert(1)",
    "alt-breakout": '![x" onerror="alert(1)](a.png)',
    "title-breakout": '![x](a.png "t\\" onerror=\\"alert(1)")',
    "link-title-breakout": "[x](/a 't\" onclick=\"alert(1)')",
    "html-in-link-text": "[<img src=x onerror=alert(1)>](/a)",
    "html-in-table": "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    "attr-list-paragraph": "段落\n{: onclick=alert(1) }",
    "attr-list-link": "[x](/a){: onclick=alert(1) }",
    "attr-list-href": "[x](/a){: href=javascript:alert(1) }",
    "attr-list-image-src": "![x](a.png){: src=javascript:alert(1) }",
    "attr-list-image": "![x](a.png){: onerror=alert(1) }",
    "attr-list-heading": "## 标题 {: onclick=alert(1) }",
    "attr-list-heading-bare": "## 标题 {onclick=alert(1)}",
    "attr-list-id-clobber": "## 标题 {: #__config }",
    "md-in-html": '<div markdown="1" onclick="alert(1)">x</div>',
    "md-in-html-span": '<span markdown="span" onclick="alert(1)">x</span>',
    "md-in-html-inner": '<div markdown="1">\n\n## 小标题 {: onclick=alert(1) }\n\n</div>',
    "admonition-title": '!!! note "<img src=x onerror=alert(1)>"\n    正文',
    "admonition-type": "!!! note onclick=alert(1)\n    正文",
    "admonition-attr-list": '!!! note "提示"\n    正文\n    {: onclick=alert(1) }',
    "noscript": '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "textarea": "<textarea><svg onload=alert(1)></textarea>",
    "title-tag": "<title><svg onload=alert(1)></title>",
    "xmp": "<xmp><svg onload=alert(1)></xmp>",
    "plaintext": "<plaintext><svg onload=alert(1)>",
    "cdata": "<![CDATA[><svg onload=alert(1)>]]>",
    "processing-instruction": "<? ><svg onload=alert(1)> ?>",
    "end-tag-attributes": "</a ><svg onload=alert(1)>",
    "bogus-end-tag": "</ x><svg onload=alert(1)>",
    "comment-in-attribute": '<a title="<!--" href="/a">x</a><svg onload=alert(1)>-->',
    "comment-bang": "<!-- --!><svg onload=alert(1)><!---->",
    # Empty comments a browser closes at once (HTML5 "abrupt closing of empty
    # comment"), which the stdlib parser reads as running to the next "-->".
    "comment-abrupt": "<!--><svg onload=alert(1)><!---->",
    "comment-abrupt-dash": "<!---><svg onload=alert(1)><!---->",
    "comment-abrupt-video": "<!--><video><source onerror=alert(1)></video><!---->",
    "comment-abrupt-inline": "文字<!--><svg onload=alert(1)><!---->文字",
    # A <script> the browser doesn't run, but the build's CSP check (a pattern that
    # reads no comments or attributes) refuses, stopping every later build.
    "conditional-comment": "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->",
    "script-in-attribute": '<abbr title="<script>alert(1)</script>">x</abbr>',
    "code-span": "`<script>alert(1)</script>`",
    "fenced-code": "```\n<script>alert(1)</script>\n```",
    "indented-code": "    <script>alert(1)</script>",
    "nul-in-attribute": "<img src=x on\x00error=alert(1)>",
    "protocol-relative-image": "![x](//evil.example/x.png)",
    "backslash-image": "![x](\\\\evil.example\\x.png)",
}

# The texts of contract 1 that reach pages, listings, the booklet, feeds, the
# manifest and the search index.
FRONT_MATTER_PAYLOADS: list[tuple[str, str, dict[str, Any]]] = [
    ("column", "fm-braces", {
        "title": "标题 {onclick=alert(1) ", "category": "knowledge",
        "tags": ["javascript:alert(2)", "x {onclick=alert(3)}", "x) [y](javascript:alert(4)",
                 "<img src=x onerror=alert(5)>", "{: onclick=alert(6) }"],
        "department": "<svg onload=alert(7)>",
        "summary": "<img src=x onerror=alert(8)> {: onclick=alert(9) }"}),
    ("column", "fm-attr-list", {
        "title": "年度 {: onclick=alert(10) }", "category": "cases",
        "tags": ["精准扶贫"], "department": "{: onclick=alert(11) }",
        "summary": '"><svg onload=alert(12)>'}),
    ("news", "fm-html", {
        "title": "</title><script>alert(13)</script><img src=x onerror=alert(14)>",
        "summary": "</textarea><script>alert(15)</script>",
        "tags": ["</script><script>alert(16)</script>"],
        "department": '"><img src=x onerror=alert(17)>'}),
    ("policy", "fm-markdown", {
        "title": "[x](javascript:alert(18))", "summary": "![x](javascript:alert(19))",
        "department": "<!--><svg onload=alert(20)><!---->"}),
]

URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data",
                            "poster", "background", "srcset", "cite", "longdesc", "ping",
                            "manifest", "codebase", "dynsrc", "lowsrc"})
NEVER_IN_A_PAGE = frozenset({"iframe", "frame", "frameset", "object", "embed", "applet",
                             "base", "portal"})
_EDGES = "".join(chr(c) for c in range(0x21))  # C0 controls and space


def dangerous_url(value: str) -> bool:
    """A URL a browser would run or take as a document of its own: javascript:,
    vbscript:, data: (read as the URL parser reads it: C0 controls and spaces
    trimmed at the ends, tabs and newlines dropped everywhere)."""
    cleaned = re.sub(r"[\t\n\r]", "", value.strip(_EDGES)).lower()
    return cleaned.startswith(("javascript:", "vbscript:", "data:"))


def element_problems(root: Any, where: str) -> list[str]:
    """Script a browser would find in a parsed tree: event handlers, script URLs,
    inline scripts that aren't the theme's, frames and other embeds."""
    problems = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments, processing instructions
        tag = element.tag.lower().rsplit("}", 1)[-1]
        for name, value in element.attrib.items():
            attribute = str(name).lower().rsplit("}", 1)[-1]
            is_url = attribute in URL_ATTRIBUTES or attribute.endswith("href")
            if attribute.startswith("on") or (is_url and any(
                    dangerous_url(part) for part in str(value).split(","))):
                problems.append(f"{where}: <{tag} {attribute}={value!r}>")
            elif attribute == "style" and re.search(r"javascript:|expression\(", value, re.I):
                problems.append(f"{where}: <{tag} style={value!r}>")
        if tag in NEVER_IN_A_PAGE:
            problems.append(f"{where}: <{tag}>")
        if tag == "meta" and (element.get("http-equiv") or "").lower() == "refresh":
            problems.append(f"{where}: <meta http-equiv=refresh>")
        if tag == "script" and MARK in (element.text or ""):
            problems.append(f"{where}: <script>{(element.text or '')[:60]}")
    return problems


def html_problems(text: str, where: str) -> list[str]:
    if not text.strip():
        return []
    try:
        root = lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError):
        return []
    return element_problems(root, where)


# What each machine-readable file holds, as its reader takes it: the theme's search
# renders an index entry's title, text and tags as HTML; an RSS reader renders
# an item's description as HTML (entity-encoded in the XML); URLs are followed.
JSON_HTML = frozenset({"title", "text", "tags"})
JSON_URLS = frozenset({"location", "url"})
XML_HTML = frozenset({"description", "{http://purl.org/rss/1.0/modules/content/}encoded"})
XML_URLS = frozenset({"link", "guid", "loc", "url"})


def _json_problems(value: Any, where: str, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _json_problems(v, where, str(k))]
    if isinstance(value, list):
        return [p for v in value for p in _json_problems(v, where, key)]
    if not isinstance(value, str):
        return []
    if key in JSON_URLS and dangerous_url(value):
        return [f"{where}: {key}={value[:60]!r}"]
    if key in JSON_HTML and where.endswith("search_index.json"):
        return html_problems(f"<div>{value}</div>", where)
    return []


def site_problems(site: Path) -> list[str]:
    """Everything under ``site`` read as a browser, the theme's search and a feed
    reader would: pages parsed as HTML, the search index's texts and the feeds'
    descriptions parsed as HTML, every URL checked."""
    problems: list[str] = []
    for path in sorted(site.rglob("*")):
        if not path.is_file():
            continue
        where = path.relative_to(site).as_posix()
        if path.suffix == ".html":
            problems += html_problems(path.read_text(encoding="utf-8"), where)
        elif path.suffix == ".json":
            problems += _json_problems(json.loads(path.read_text(encoding="utf-8")), where)
        elif path.suffix == ".xml":
            for element in lxml.etree.fromstring(path.read_bytes()).iter():
                tag, text = str(element.tag), element.text or ""
                if tag.rsplit("}", 1)[-1] in XML_URLS and dangerous_url(text):
                    problems.append(f"{where}: <{tag}>{text[:60]!r}")
                if tag in XML_HTML:
                    problems += html_problems(f"<div>{text}</div>", where)
                problems += [f"{where}: {name}={value!r}" for name, value in element.attrib.items()
                             if dangerous_url(value)]
    return problems


# -- through review ------------------------------------------------------------------


def current_revision(pk: int) -> int:
    db.session.expire_all()
    found = db.session.get(NewsArticle, pk)
    assert found is not None and found.current_revision_id is not None
    return found.current_revision_id


def to_last_level(pk: int, editor: Member, first: Member, second: Member,
                  now: dt.datetime) -> None:
    service.submit(db.session, pk, editor, revision_id=current_revision(pk), now=now)
    service.approve(db.session, pk, first, level=1, revision_id=current_revision(pk), now=now)
    service.approve(db.session, pk, second, level=2, revision_id=current_revision(pk), now=now)


def signer(runner: jobs.Jobs) -> Callable[..., Any]:
    """The publishing hook the app passes to ``final_approve``."""
    return lambda session, article, revision: jobs.publish_signed(session, article, revision,
                                                                  jobs=runner)


def sign(pk: int, last: Member, runner: jobs.Jobs, now: dt.datetime, **extra: Any
         ) -> NewsArticle:
    return service.final_approve(db.session, pk, last, level=3,
                                 revision_id=current_revision(pk), now=now,
                                 secrecy_confirmed=True, publish=signer(runner), **extra)


def try_sign(pk: int, last: Member, runner: jobs.Jobs, now: dt.datetime, **extra: Any
             ) -> Refused | None:
    try:
        sign(pk, last, runner, now, **extra)
    except Refused as refusal:
        return refusal
    return None
