"""The committed registry of published article ids (``content/.article-ids``).

Credits in the learning app hang on article ids, so an id that was ever
published must stay with its article: it may not disappear, be reused by
another article, or come back after it was retired. The file is plain text,
one id a line, so that editors can read a diff of it:

    liangbuchou-exit<TAB>column/2026-11/liangbuchou-exit.md
    old-notice<TAB>news/old-notice.md<TAB>retired
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from site_builder.articles import Article
from site_builder.errors import SourceError

HEADER = (
    "# Published article ids: the build adds new ones; commit this file.\n"
    "# Credits hang on these ids. To take an article down for good, mark its\n"
    "# line 'retired' (third column); a retired id is never reused.\n"
)


@dataclass(frozen=True)
class Entry:
    id: str
    path: str
    retired: bool = False


@dataclass(frozen=True)
class RegistryCheck:
    errors: list[SourceError]
    entries: dict[str, Entry]  # the registry as it should be written
    added: list[str]
    changed: bool


def parse(text: str, name: str = ".article-ids") -> tuple[dict[str, Entry], list[SourceError]]:
    entries: dict[str, Entry] = {}
    errors: list[SourceError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "retired"):
            errors.append(SourceError(name, number, "registry",
                                      "'id<TAB>path' or 'id<TAB>path<TAB>retired'"))
            continue
        entry = Entry(parts[0], parts[1], len(parts) == 3)
        if entry.id in entries:
            errors.append(SourceError(name, number, "id", f"{entry.id!r} listed once"))
        entries[entry.id] = entry
    return entries, errors


def render(entries: dict[str, Entry]) -> str:
    lines = [
        f"{e.id}\t{e.path}" + ("\tretired" if e.retired else "")
        for e in sorted(entries.values(), key=lambda e: e.id)
    ]
    return HEADER + "".join(line + "\n" for line in lines)


def check(registered: dict[str, Entry], published: list[Article]) -> RegistryCheck:
    """Compare the published articles with the registry.

    A published id that moves to a new path is a rename (allowed) only when no
    current article lives at the old path any more; otherwise another article
    took the id, which is an error.
    """
    errors: list[SourceError] = []
    current = {a.id: a for a in published}
    paths = {a.src_uri for a in published}
    entries = dict(registered)
    added: list[str] = []
    for article in published:
        entry = registered.get(article.id)
        if entry is None:
            entries[article.id] = Entry(article.id, article.src_uri)
            added.append(article.id)
        elif entry.retired:
            errors.append(SourceError(article.src_uri, article.id_line, "id",
                                      f"a new id: {article.id!r} was retired and is never reused"))
        elif entry.path != article.src_uri:
            if entry.path in paths:
                errors.append(SourceError(
                    article.src_uri, article.id_line, "id",
                    f"the id of this article: {article.id!r} belongs to {entry.path}"))
            else:
                entries[article.id] = replace(entry, path=article.src_uri)
    for entry in registered.values():
        if entry.retired or entry.id in current:
            continue
        errors.append(SourceError(
            entry.path, 1, "id",
            f"published id {entry.id!r} to stay (credits hang on it): keep 'id: {entry.id}' "
            f"in the article's front matter, or mark it retired in content/.article-ids"))
    return RegistryCheck(errors, entries, added, entries != registered)


def load_file(path: Path) -> tuple[dict[str, Entry], list[SourceError]]:
    if not path.exists():
        return {}, []
    return parse(path.read_text(encoding="utf-8"), path.name)
