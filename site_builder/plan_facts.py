"""The county plan's clauses and figures, checkable against any text.

The plan is published verbatim at ``policy/plan-text.md``; each clause is a
paragraph anchored ``{: #c1-3 }`` (一（三）). ``policy/plan-facts.yaml`` beside
it is the one machine-readable home of the plan's figures: each fact names its
clause, quotes the plan word for word (checked here, so a fact can't drift
from the text), and says how a statement of that figure looks. ``check``
finds statements that give the figure differently. The site build runs it on
every article, the quiz loader on every question's key and explanation, and
the newsroom can run it on a draft: one implementation for all three.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from site_builder.errors import ContentError, SourceError
from site_builder.frontmatter import split_front_matter

PLAN_TEXT = "policy/plan-text.md"  # relative to the content directory
PLAN_FACTS = "policy/plan-facts.yaml"
NUMERALS = "一二三四五六七八九十"
PREAMBLE = "前言"

_ANCHOR = re.compile(r"^\{:\s*#c(\d+)(?:-(\d+))?\s*\}\s*$")
_HEADING_ANCHOR = re.compile(r"\{#c(\d+)\}\s*$")
_REF = re.compile(r"^(?:前言|[一二三四五六七八九十](?:\([一二三四五六七八九十]\))?)$")


# -- clause references ------------------------------------------------------------

def ref_of(part: int, clause: int | None = None) -> str:
    """``(1, 3)`` → ``一(三)``; ``(1, None)`` → ``一``; part 0 is the preamble."""
    if part == 0:
        return PREAMBLE
    head = NUMERALS[part - 1]
    return head if clause is None else f"{head}({NUMERALS[clause - 1]})"


def anchor_of(ref: str) -> str:
    """``一(三)`` → ``c1-3``, the clause's anchor on the plan page."""
    if ref == PREAMBLE:
        return "c0"
    part = NUMERALS.index(ref[0]) + 1
    return f"c{part}" if len(ref) == 1 else f"c{part}-{NUMERALS.index(ref[2]) + 1}"


def normalize_ref(text: str) -> str:
    """Full-width parentheses and spaces folded: ``一（三）`` → ``一(三)``."""
    return re.sub(r"\s+", "", text).replace("（", "(").replace("）", ")")


def cited_clauses(source: str) -> list[str] | None:
    """``《方案》一(一)、四(三)`` → ``["一(一)", "四(三)"]``; None if the plan isn't cited."""
    if "《方案》" not in source:
        return None
    tail = source.split("《方案》", 1)[1]
    return [normalize_ref(ref) for ref in re.split(r"[、,，;；\s]+", tail) if ref.strip()]


# -- normalising text for matching ----------------------------------------------

_FULLWIDTH = str.maketrans("０１２３４５６７８９％～－", "0123456789%~-")
_QUOTES = re.compile(r"[“”‘’「」『』\"']")
# Invisible format characters (zero-width spaces, joiners, bidi marks, soft
# hyphens) would split a figure so that no pattern sees it.
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_MARKUP = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)|<[^>]+>|[*_`]+")
_SENTENCE_END = re.compile(r"[。！？；!?;]")


def plain(text: str) -> str:
    """Text as a reader sees it, quotes dropped, so patterns needn't allow for them."""
    text = html.unescape(_MARKUP.sub(lambda m: m.group(1) or "", text))
    return _QUOTES.sub("", _INVISIBLE.sub("", text).translate(_FULLWIDTH))


def fold_value(value: str) -> str:
    """One spelling per figure: ``两个月`` = ``2个月``, ``2至3`` = ``2-3``."""
    value = re.sub(r"\s+", "", value.translate(_FULLWIDTH))
    value = re.sub(r"(?<=\d)(?:至|到|~|—|–)(?=\d)", "-", value)
    return value.replace("两", "2")


@dataclass(frozen=True)
class Sentence:
    line: int
    text: str
    heading: str = ""  # the heading it stands under: "## 固定党日" is about the Party day


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def sentences(text: str, first_line: int = 1) -> Iterator[Sentence]:
    """Sentences with their line numbers; a table row reads as ``header：cell，…``."""
    lines = text.splitlines()
    header: list[str] | None = None
    heading = ""
    for index, raw in enumerate(lines):
        line = raw.strip()
        number = first_line + index
        if line.startswith("#"):
            heading = plain(line.lstrip("#").strip())
        if line.startswith("|"):
            following = lines[index + 1].strip() if index + 1 < len(lines) else ""
            if re.fullmatch(r"\|?[\s:|-]+\|?", following) and "-" in following:
                header = [plain(c) for c in _cells(line)]
                continue
            if re.fullmatch(r"\|?[\s:|-]+\|?", line):
                continue
            cells = [plain(c) for c in _cells(line)]
            names = header or [""] * len(cells)
            yield Sentence(number, "，".join(
                f"{name}：{cell}" if name else cell for name, cell in zip(names, cells,
                                                                        strict=False)), heading)
            continue
        header = None
        for part in _SENTENCE_END.split(plain(line)):
            if part.strip():
                yield Sentence(number, part.strip(), heading)


# -- the plan ----------------------------------------------------------------------

@dataclass(frozen=True)
class Clause:
    ref: str  # 一(三)
    text: str


def parse_clauses(markdown: str) -> dict[str, Clause]:
    """Clauses of the plan page: each paragraph followed by ``{: #cN-M }``, and
    each part's heading ``{#cN}`` (its text: the heading and all its clauses)."""
    _meta, body, _start, _body_line = split_front_matter(markdown)
    clauses: dict[str, Clause] = {}
    paragraph: list[str] = []
    for line in body.splitlines():
        anchor = _ANCHOR.match(line.strip())
        heading = _HEADING_ANCHOR.search(line)
        if anchor:
            part, sub = int(anchor.group(1)), anchor.group(2)
            ref = ref_of(part, int(sub) if sub else None)
            clauses[ref] = Clause(ref, plain(" ".join(paragraph)))
            if sub:
                head = ref_of(part)
                whole = clauses.get(head)
                if whole is not None:
                    clauses[head] = Clause(head, f"{whole.text}\n{clauses[ref].text}")
            paragraph = []
        elif heading:
            ref = ref_of(int(heading.group(1)))
            clauses[ref] = Clause(ref, plain(_HEADING_ANCHOR.sub("", line).lstrip("# ")))
            paragraph = []
        elif line.strip():
            paragraph.append(line.strip())
        else:
            paragraph = []
    return clauses


@dataclass(frozen=True)
class Fact:
    """One figure of the plan and what a statement of it looks like.

    ``subject`` picks the sentences about the figure; ``claim`` (with groups
    ``value…``, see ``stated_value``) finds the figure stated in such a sentence; a stated value not
    in ``accept`` contradicts the plan (an empty ``accept``: the plan has no
    such thing, so any statement of it contradicts). ``kind: first_friday``
    instead requires every date in the sentence to be a month's first Friday.
    """

    id: str
    clause: str
    quote: str
    says: str  # the plan's statement, shown to whoever wrote the contradiction
    subject: re.Pattern[str]
    claim: re.Pattern[str] | None
    accept: tuple[str, ...]
    kind: str
    wrong: tuple[str, ...]  # examples the check must catch (the fact's own test)
    right: tuple[str, ...]  # examples it must let pass


@dataclass(frozen=True)
class Conflict:
    line: int
    fact: Fact
    found: str

    def message(self) -> str:
        found = self.found if len(self.found) <= 30 else "…" + self.found[-29:]
        return (f"与《方案》{self.fact.clause}不符：这里写的是“{found}”，"
                f"《方案》原文是“{self.fact.quote}”")


_DATE = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日")


def first_friday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(4 - first.weekday()) % 7)


def _dated(year: str | None, month: int, day: int, near: dt.date | None) -> dt.date | None:
    """The date a text means: its own year, else the one nearest ``near``."""
    try:
        if year:
            return dt.date(int(year), month, day)
        if near is None:
            return None
        candidates = [dt.date(y, month, day) for y in (near.year - 1, near.year, near.year + 1)]
    except ValueError:
        return None
    return min(candidates, key=lambda d: abs((d - near).days))


def stated_value(match: re.Match[str]) -> str:
    """The figure a claim found: its ``value…`` groups joined in name order, so a
    claim may capture period, number and unit apart (``value1`` ``value2`` …) or
    offer alternative wordings (``value`` | ``value2``)."""
    parts = sorted((name, text) for name, text in match.groupdict().items()
                   if name.startswith("value") and text)
    return fold_value("".join(text for _name, text in parts))


@dataclass(frozen=True)
class PlanFacts:
    clauses: dict[str, Clause]
    facts: tuple[Fact, ...]

    def __post_init__(self) -> None:
        # Most sentences are about none of the figures: one search rules them out.
        any_subject = "|".join(f"(?:{fact.subject.pattern})" for fact in self.facts)
        object.__setattr__(self, "_any_subject", re.compile(any_subject or r"(?!)"))

    def has_clause(self, ref: str) -> bool:
        return normalize_ref(ref) in self.clauses

    def check_sentence(self, sentence: Sentence, near: dt.date | None = None
                       ) -> list[Conflict]:
        found: list[Conflict] = []
        any_subject: re.Pattern[str] = self._any_subject  # type: ignore[attr-defined]
        if not (any_subject.search(sentence.text) or any_subject.search(sentence.heading)):
            return found
        for fact in self.facts:
            if not (fact.subject.search(sentence.text) or fact.subject.search(sentence.heading)):
                continue
            if fact.kind == "first_friday":
                for match in _DATE.finditer(sentence.text):
                    day = _dated(match.group(1), int(match.group(2)), int(match.group(3)), near)
                    if day is not None and day != first_friday(day.year, day.month):
                        weekday = "一二三四五六日"[day.weekday()]
                        found.append(Conflict(sentence.line, fact,
                                              f"{match.group(0)}（星期{weekday}）"))
                continue
            assert fact.claim is not None
            for match in fact.claim.finditer(sentence.text):
                if stated_value(match) not in fact.accept:
                    found.append(Conflict(sentence.line, fact, match.group(0)))
        return found

    def check(self, text: str, *, first_line: int = 1, near: dt.date | None = None
              ) -> list[Conflict]:
        """Every statement in ``text`` that contradicts a fact, with its line."""
        found: dict[tuple[int, str], Conflict] = {}
        for sentence in sentences(text, first_line):
            for conflict in self.check_sentence(sentence, near):
                # Two facts may state one rule (a day, and its dates): report it once.
                found.setdefault((conflict.line, conflict.fact.says), conflict)
        return list(found.values())


# -- loading -----------------------------------------------------------------------

FACT_KEYS = ("id", "clause", "quote", "says", "subject", "claim", "accept", "kind",
             "wrong", "right")


def _compile(value: Any, where: str, errors: list[str]) -> re.Pattern[str] | None:
    if not isinstance(value, str) or not value:
        errors.append(f"{where}: a regular expression")
        return None
    try:
        return re.compile(value)
    except re.error as exc:
        errors.append(f"{where}: a valid regular expression ({exc})")
        return None


def _texts(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return tuple(str(v) for v in value)
    return None


def _fact(raw: Any, index: int, clauses: dict[str, Clause], errors: list[str]) -> Fact | None:
    where = f"facts[{index + 1}]"
    if not isinstance(raw, dict):
        errors.append(f"{where}: a mapping with id, clause, quote, subject, claim, accept")
        return None
    where = f"{where} {raw.get('id', '')}".rstrip()
    before = len(errors)
    for key in raw:
        if key not in FACT_KEYS:
            errors.append(f"{where}: {key}: a known key ({', '.join(FACT_KEYS)})")
    clause = normalize_ref(str(raw.get("clause", "")))
    quote = raw.get("quote")
    if clause not in clauses:
        errors.append(f"{where}: clause: a clause of the plan, e.g. 二(二)")
    elif not isinstance(quote, str) or plain(quote) not in clauses[clause].text:
        errors.append(f"{where}: quote: words found verbatim in clause {clause}")
    kind = raw.get("kind", "figure")
    if kind not in ("figure", "first_friday"):
        errors.append(f"{where}: kind: figure or first_friday")
    subject = _compile(raw.get("subject"), f"{where}: subject", errors)
    claim = None
    if kind == "figure":
        claim = _compile(raw.get("claim"), f"{where}: claim", errors)
        if claim is not None and not any(g.startswith("value") for g in claim.groupindex):
            errors.append(f"{where}: claim: a pattern with a group (?P<value>…)")
    accept, wrong, right = (_texts(raw.get(k)) for k in ("accept", "wrong", "right"))
    for name, value in (("accept", accept), ("wrong", wrong), ("right", right)):
        if value is None:
            errors.append(f"{where}: {name}: a list of texts")
    if not wrong:
        errors.append(f"{where}: wrong: at least one example statement the check must catch")
    if not isinstance(raw.get("id"), str) or not isinstance(raw.get("says"), str):
        errors.append(f"{where}: id and says: texts")
    if len(errors) > before or subject is None:
        return None
    return Fact(raw["id"], clause, plain(quote), raw["says"], subject, claim,
                tuple(fold_value(v) for v in accept or ()), kind, wrong or (), right or ())


def self_test(plan: PlanFacts) -> list[str]:
    """Each fact catches its wrong examples, passes its right ones, and no fact
    finds a contradiction in the plan itself."""
    errors = []
    for fact in plan.facts:
        only = PlanFacts(plan.clauses, (fact,))
        near = dt.date(2026, 12, 1)  # the examples name their dates; any day will do
        for example in fact.wrong:
            if not only.check(example, near=near):
                errors.append(f"{fact.id}: wrong: the check does not catch {example!r}")
        for example in fact.right:
            hits = only.check(example, near=near)
            if hits:
                errors.append(f"{fact.id}: right: the check wrongly flags {hits[0].found!r} "
                              f"in {example!r}")
    for clause in plan.clauses.values():
        for conflict in plan.check(clause.text):
            errors.append(f"{conflict.fact.id}: flags the plan's own clause {clause.ref}: "
                          f"{conflict.found!r}")
    return errors


def load(content_dir: Path) -> PlanFacts:
    """The plan's clauses and facts from ``content_dir``; ``ContentError`` if unusable."""
    text_path, facts_path = content_dir / PLAN_TEXT, content_dir / PLAN_FACTS
    problems: list[SourceError] = []
    try:
        clauses = parse_clauses(text_path.read_text(encoding="utf-8"))
        raw = yaml.safe_load(facts_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ContentError([SourceError(PLAN_FACTS, 1, "file", f"readable ({exc})")]) from None
    if not clauses:
        problems.append(SourceError(PLAN_TEXT, 1, "clauses", "paragraphs anchored {: #cN-M }"))
    errors: list[str] = []
    items = raw.get("facts") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        errors.append("facts: a list of facts")
        items = []
    facts = [f for i, item in enumerate(items) if (f := _fact(item, i, clauses, errors))]
    ids = [f.id for f in facts]
    errors += [f"{i}: id: unique" for i in sorted({i for i in ids if ids.count(i) > 1})]
    plan = PlanFacts(clauses, tuple(facts))
    if not errors:
        errors = self_test(plan)
    problems += [SourceError(PLAN_FACTS, 1, "facts", error) for error in errors]
    if problems:
        raise ContentError(problems)
    return plan


def check_markdown(plan: PlanFacts, path: str, source: str, near: dt.date | None = None
                   ) -> list[SourceError]:
    """Contradictions in a Markdown file (front matter included), as build errors."""
    return [SourceError(path, c.line, "plan", c.message()) for c in plan.check(source, near=near)]


def main(argv: list[str] | None = None) -> int:
    """``python -m site_builder.plan_facts FILE…``: report contradictions of the plan."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--content", type=Path, default=Path("content"))
    args = parser.parse_args(argv)
    try:
        plan = load(args.content)
    except ContentError as exc:
        print(exc.render(), file=sys.stderr)
        return 2
    found = 0
    for path in args.files:
        text = path.read_text(encoding="utf-8")
        date = re.search(r"^date:\s*(\d{4}-\d{2}-\d{2})", text, re.M)
        near = dt.date.fromisoformat(date.group(1)) if date else None
        for error in check_markdown(plan, str(path), text, near):
            print(error)
            found += 1
    print(f"{len(plan.facts)} facts, {found} conflict(s)", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
