"""The registry of published article ids (``content/.article-ids``).

Credits in the learning app hang on article ids, so an id that was ever
published must stay with its article: it may not disappear, be reused by
another article, or come back after it was retired. The file is plain text,
one id a line, so that editors can read a diff of it:

    liangbuchou-exit<TAB>column/2026-11/liangbuchou-exit.md
    old-notice<TAB>news/old-notice.md<TAB>retired

Where the build writes new ids (docs/contracts.md, "Where the id registry is
written"): by default into the committed file, the editors' git workflow. With
``SITE_REGISTRY`` naming another file (``make run``: ``instance/article-ids``),
the build reads the committed file and that one together, and writes what it
adds only to that file, so a clone's tracked tree stays clean.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from site_builder.articles import Article
from site_builder.errors import SourceError

COMMITTED = ".article-ids"  # relative to the content directory
ENV = "SITE_REGISTRY"  # the file the build reads and writes, relative to the project
HEADER = (
    "# Published article ids: the build adds new ones; commit this file.\n"
    "# Credits hang on these ids. To take an article down for good, mark its\n"
    "# line 'retired' (third column); a retired id is never reused.\n"
)
LOCAL_HEADER = (
    "# Article ids published by this installation beyond content/.article-ids\n"
    "# (SITE_REGISTRY). Read together with it; not committed. Never delete a line:\n"
    "# credits hang on these ids.\n"
)


@dataclass(frozen=True)
class Files:
    """The committed registry and the file the build writes (the same by default)."""

    committed: Path
    target: Path

    @property
    def separate(self) -> bool:
        return self.target.resolve() != self.committed.resolve()


def locate(content_dir: Path, *, project_dir: Path | None = None, name: str = COMMITTED,
           environ: Mapping[str, str] | None = None) -> Files:
    """Where the registry is read and written: ``SITE_REGISTRY`` (relative to the
    project directory, by default the content directory's parent), else the
    committed file."""
    committed = content_dir / name
    value = (os.environ if environ is None else environ).get(ENV, "").strip()
    if not value:
        return Files(committed, committed)
    target = Path(value)
    if not target.is_absolute():
        target = (project_dir if project_dir is not None else content_dir.parent) / target
    return Files(committed, target)


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
                                      "每行应为“id<TAB>路径”或“id<TAB>路径<TAB>retired”"))
            continue
        entry = Entry(parts[0], parts[1], len(parts) == 3)
        if entry.id in entries:
            errors.append(SourceError(name, number, "id", f"“{entry.id}”只能登记一次"))
        entries[entry.id] = entry
    return entries, errors


def render(entries: dict[str, Entry], header: str = HEADER) -> str:
    lines = [
        f"{e.id}\t{e.path}" + ("\tretired" if e.retired else "")
        for e in sorted(entries.values(), key=lambda e: e.id)
    ]
    return header + "".join(line + "\n" for line in lines)


def check(registered: dict[str, Entry], published: list[Article],
          scheduled: Iterable[Article] = ()) -> RegistryCheck:
    """Compare the articles with the registry.

    Published articles are registered. Scheduled ones (dated after the build)
    are not, but may not take a retired id or another article's either, and a
    registered id they carry stays theirs: a build at an earlier date than the
    registry's (a test, a benchmark, a preview) is not a disappearance. Only an
    id that no file carries any more is.

    A published id that moves to a new path is a rename (allowed) only when no
    current article lives at the old path any more; otherwise another article
    took the id, which is an error.
    """
    errors: list[SourceError] = []
    everyone = [(a, True) for a in published] + [(a, False) for a in scheduled]
    at_path = {a.src_uri: a for a, _live in everyone}
    present = {a.id for a, _live in everyone}
    entries = dict(registered)
    added: list[str] = []
    for article, live in everyone:
        entry = registered.get(article.id)
        if entry is None:
            if live:
                entries[article.id] = Entry(article.id, article.src_uri)
                added.append(article.id)
        elif entry.retired:
            errors.append(SourceError(
                article.src_uri, article.id_line, "id",
                f"应换一个 id：“{article.id}”已撤销（retired），永不复用"))
        elif entry.path != article.src_uri:
            holder = at_path.get(entry.path)
            if holder is None:
                entries[article.id] = replace(entry, path=article.src_uri)
            elif holder.id != article.id:  # the same id twice: articles.duplicate_ids says so
                errors.append(SourceError(
                    article.src_uri, article.id_line, "id",
                    f"应换一个 id：“{article.id}”已发布，属于 {entry.path}"))
    for entry in registered.values():
        if entry.retired or entry.id in present:
            continue
        errors.append(SourceError(
            entry.path, 1, "id",
            f"已发布的 id“{entry.id}”应保留（学时记录挂在它上面）：请在文章的 front matter "
            f"中保留“id: {entry.id}”，或在 content/.article-ids 中把它标为 retired"))
    return RegistryCheck(errors, entries, added, entries != registered)


def load_file(path: Path) -> tuple[dict[str, Entry], list[SourceError]]:
    if not path.exists():
        return {}, []
    return parse(path.read_text(encoding="utf-8"), path.name)


def merge(committed: dict[str, Entry], local: dict[str, Entry]) -> dict[str, Entry]:
    """Both files as one registry: every id either lists; the committed line wins
    (editors' git is the record), except that a retirement in either stands."""
    merged = dict(local)
    for entry_id, entry in committed.items():
        other = local.get(entry_id)
        merged[entry_id] = replace(entry, retired=entry.retired or bool(other and other.retired))
    return merged


def load(files: Files) -> tuple[dict[str, Entry], list[SourceError]]:
    """The registry the build checks against: the committed file, plus the
    target's ids when it is another file."""
    committed, errors = load_file(files.committed)
    if not files.separate:
        return committed, errors
    local, more = load_file(files.target)
    return merge(committed, local), errors + more


def save(files: Files, entries: dict[str, Entry]) -> bool:
    """Write the registry to the target; another file than the committed one
    gets only what the committed file doesn't say. False if nothing changed."""
    if files.separate:
        committed, _errors = load_file(files.committed)
        own = {i: e for i, e in entries.items() if committed.get(i) != e}
        text = render(own, LOCAL_HEADER)
    else:
        text = render(entries)
    target = files.target
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    # Whole or not at all: the app may read the file while a build writes it.
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True
