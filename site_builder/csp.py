"""The site's Content-Security-Policy: scripts from the site, and inline ones by hash.

Material writes a few small inline scripts into every page (``__md_scope``,
the anchor fix-up). Their sha256 hashes go into a ``<meta>`` policy in each
page and, merged for the whole site, into ``site/csp.txt``, which the server
sends as the header (``frame-ancestors`` works only there). An inline script is
hashed only if it is one of the theme's own templates' scripts: an injected
one fails the build instead of being allowed.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

CSP_FILE = "csp.txt"  # in site/: the header policy, one line
# Styles: Material's stylesheet and ours are files; 'unsafe-inline' is not needed.
# img data: is Material's CSS icons (mask-image: url("data:image/svg+xml,…")).
DIRECTIVES = (
    "default-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
)
HEADER_ONLY = ("frame-ancestors 'self'",)  # not allowed in <meta>
# Script types a browser doesn't run (Material's config is a JSON data block).
DATA_TYPES = frozenset({"application/json", "application/ld+json"})

_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_TEMPLATE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.S)
# A template value inside a JS string literal: can't end the string or the script.
_VALUE = "[^\"'<>\\\\\\n\\r]*"
_CHARSET = re.compile(r'<meta charset="[^"]*">', re.I)


class _Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.attrs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs = {name: value or "" for name, value in attrs}


def _attributes(start_tag_rest: str) -> dict[str, str]:
    parser = _Attributes()
    parser.feed(f"<script{start_tag_rest}>")
    parser.close()
    return parser.attrs


def inline_scripts(html: str) -> list[str]:
    """The bodies of the inline scripts a browser would run in ``html``."""
    found = []
    for match in _SCRIPT.finditer(html):
        attrs = _attributes(match.group(1))
        if "src" in attrs:
            continue
        if attrs.get("type", "").strip().lower() in DATA_TYPES:
            continue
        found.append(match.group(2))
    return found


def script_hash(body: str) -> str:
    digest = hashlib.sha256(body.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


class ThemeScripts:
    """The inline scripts the theme's templates can produce.

    A template's ``{{ expression }}`` inside a JS string literal (e.g. the
    page's base URL) matches a value without quotes, backslashes, angle
    brackets or line breaks, so a matching script can't carry anything but the
    theme's code. Scripts with an expression outside a string, or with template
    logic (``{% … %}``), are not recognised.
    """

    def __init__(self, patterns: Iterable[re.Pattern[str]]) -> None:
        self.patterns = list(patterns)

    @classmethod
    def from_dirs(cls, dirs: Iterable[str | Path]) -> ThemeScripts:
        patterns: dict[str, re.Pattern[str]] = {}
        for directory in dirs:
            for template in sorted(Path(directory).rglob("*.html")):
                text = template.read_text(encoding="utf-8")
                for body in _TEMPLATE_SCRIPT.findall(text):
                    if "{%" in body:
                        continue
                    parts = _EXPRESSION.split(body)
                    if not all(a.endswith('"') and b.startswith('"')
                               for a, b in pairwise(parts)):
                        continue  # a value outside a string literal could be code
                    pattern = _VALUE.join(re.escape(part) for part in parts)
                    patterns.setdefault(pattern, re.compile(pattern, re.S))
        return cls(patterns.values())

    def recognises(self, body: str) -> bool:
        return any(pattern.fullmatch(body) for pattern in self.patterns)


def policy(hashes: Iterable[str], *, header: bool = False) -> str:
    script = " ".join(["script-src 'self'", *sorted(set(hashes))])
    directives = [DIRECTIVES[0], script, *DIRECTIVES[1:]]
    if header:
        directives += HEADER_ONLY
    return "; ".join(directives)


def add_meta(html: str, page_policy: str) -> str:
    """The policy as the first thing after ``<meta charset>``: a meta policy
    governs only what comes after it."""
    tag = f'<meta http-equiv="Content-Security-Policy" content="{page_policy}">'
    match = _CHARSET.search(html)
    if match is None:
        raise ValueError("no <meta charset> to put the policy after")
    return html[: match.end()] + "\n    " + tag + html[match.end():]
