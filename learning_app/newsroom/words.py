"""错敏词: find the county's blocked words in an article's texts (plain functions).

A hit names the field, the word, where it starts (line and column, 1-based, in
characters) and the span in the field's text, so the editor can highlight it.

Matching is deliberately forgiving of the usual ways a word slips through: the
text and the words are compared after NFKC (full-width letters and digits become
plain ones) and case folding, and whitespace, invisible format characters
(zero-width, direction marks, variation selectors) and the Markdown emphasis
marks ``* _ ~ ` `` between the characters of a word are ignored (``法 轮``,
``法**轮**`` and ``法\u200b轮`` all match ``法轮``). The span reported is the
original text's, marks included.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from learning_app.errors import Refused

# Skipped between a word's characters: whitespace, zero-width and soft-hyphen
# characters, and the Markdown marks that render as nothing.
_IGNORED = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad*_~`")
FIELD_LABELS: dict[str, str] = {"title": "标题", "summary": "摘要", "body": "正文"}


@dataclass(frozen=True)
class Word:
    word: str
    suggestion: str | None = None


@dataclass(frozen=True)
class Hit:
    field: str  # title, summary or body
    word: str  # as the county wrote it
    line: int  # 1-based
    column: int  # 1-based, in characters
    start: int  # offset in the field's text (characters)
    end: int  # one past the last character of the match
    suggestion: str | None = None

    def describe(self) -> str:
        where = FIELD_LABELS.get(self.field, self.field)
        text = f"{where}第{self.line}行第{self.column}列“{self.word}”"
        return text + (f"（建议改为“{self.suggestion}”）" if self.suggestion else "")


def _ignorable(char: str) -> bool:
    # Every invisible format character (Unicode category Cf: the zero-width ones,
    # but also the direction marks U+200E/U+200F, U+202A-U+202E, U+2066-U+2069 and
    # the invisible operators U+2061-U+2064), variation selectors and the combining
    # grapheme joiner: nothing a reader sees, so nothing that may split a word.
    return (char in _IGNORED or char.isspace() or unicodedata.category(char) == "Cf"
            or "\ufe00" <= char <= "\ufe0f" or char == "\u034f")


def normalize(text: str) -> tuple[str, list[int]]:
    """The text as compared, and for each of its characters the offset of the
    original character it came from."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if _ignorable(char):
            continue
        for folded in unicodedata.normalize("NFKC", char).casefold():
            if not _ignorable(folded):
                chars.append(folded)
                origin.append(index)
    return "".join(chars), origin


def _line_starts(text: str) -> list[int]:
    starts = [0]
    at = text.find("\n")
    while at != -1:
        starts.append(at + 1)
        at = text.find("\n", at + 1)
    return starts


def _line_and_column(starts: list[int], offset: int) -> tuple[int, int]:
    line = bisect.bisect_right(starts, offset)  # a bisection: a text full of hits stays linear
    return line, offset - starts[line - 1] + 1


def find_hits(texts: Mapping[str, str | None], words: Iterable[Word]) -> list[Hit]:
    """Every occurrence of every word in ``texts`` (field → text), overlapping
    ones included, in field order then by position."""
    prepared = []
    for word in words:
        folded, _ = normalize(word.word)
        if folded:  # a word of only spaces or marks would match everywhere
            prepared.append((folded, word))
    hits: list[Hit] = []
    for field, text in texts.items():
        if not text:
            continue
        folded_text, origin = normalize(text)
        starts = _line_starts(text)
        found: list[Hit] = []
        for folded, word in prepared:
            at = folded_text.find(folded)
            while at != -1:
                start, end = origin[at], origin[at + len(folded) - 1] + 1
                line, column = _line_and_column(starts, start)
                found.append(Hit(field, word.word, line, column, start, end, word.suggestion))
                at = folded_text.find(folded, at + 1)
        hits.extend(sorted(found, key=lambda hit: (hit.start, -hit.end, hit.word)))
    return hits


def article_texts(front_matter: Mapping[str, object], body: str) -> dict[str, str | None]:
    """The texts of an article that are checked: its title, summary and body."""
    def text(key: str) -> str | None:
        value = front_matter.get(key)
        return value if isinstance(value, str) else None

    return {"title": text("title"), "summary": text("summary"), "body": body}


def refusal_message(hits: list[Hit], limit: int = 20) -> str:
    """One Chinese sentence listing the hits (the first ``limit``; the UI shows all)."""
    listed = "；".join(hit.describe() for hit in hits[:limit])
    more = f"等共{len(hits)}处" if len(hits) > limit else f"共{len(hits)}处"
    return f"稿件含有错敏词（{more}），请修改后再送审：{listed}。"


class SensitiveWordsFound(Refused):
    """Submission refused for 错敏词: the message names them, ``hits`` carries
    every one with its place for the editor to highlight."""

    def __init__(self, hits: list[Hit]) -> None:
        super().__init__(400, refusal_message(hits))
        self.hits = hits
