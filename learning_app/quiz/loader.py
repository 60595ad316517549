"""Read and validate ``quizzes/`` (DESIGN.md, contract 4): banks and tests.

Every problem names the file, the line, the question or test id and the
field, e.g. ``banks/x.yaml:14: pb-003: answer: one of the options A, B, C, D``.
All problems are collected and raised together (``QuizError``), so an editor
fixes a whole batch in one pass; nothing is written while any remain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from learning_app.quiz.definitions import ID_PATTERN, Section, TestDefinition
from learning_app.quiz.sources import plan_problems
from learning_app.quiz.types import known_types, validate_question
from site_builder.plan_facts import PlanFacts

try:  # libyaml when present, as in site_builder.frontmatter
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader

BANK_KEYS = ("bank", "title", "about", "use", "questions")
# What a bank is for (contract 4, bank visibility). ``exam`` (考试题库, the default:
# a bank nobody classified stays out of practice) feeds tests only; ``practice``
# (练习题库) feeds practice sets only, whose feedback hands out keys at once.
BANK_USES = ("exam", "practice")


@dataclass(frozen=True, order=True)
class QuizProblem:
    """``path:line: [id: ]field: what was expected``."""

    path: str
    line: int
    item: str  # question or test id; "" when the file itself is at fault
    field: str
    message: str

    def __str__(self) -> str:
        item = f"{self.item}: " if self.item else ""
        return f"{self.path}:{self.line}: {item}{self.field}: {self.message}"


class QuizError(Exception):
    def __init__(self, problems: list[QuizProblem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# -- YAML with line numbers ---------------------------------------------------

class _Doc:
    """A parsed YAML document plus its node tree, for ``line_of(path)``."""

    def __init__(self, node: yaml.Node | None) -> None:
        self.node = node
        self.data = yaml.SafeLoader("").construct_document(node) if node is not None else None

    def line_of(self, *loc: str | int) -> int:
        """1-based line of the deepest node on ``loc`` that exists (keys: the key's line)."""
        node = self.node
        line = 1 if node is None else node.start_mark.line + 1
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
                if match is None:
                    return line
                line, node = match[0].start_mark.line + 1, match[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    return line
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line


def _duplicate_keys(node: yaml.Node | None) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                found.append((str(key.value), key.start_mark.line + 1))
            seen.add(key.value)
            found += _duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found += _duplicate_keys(item)
    return found


def _read(path: Path, rel: str) -> tuple[_Doc | None, list[QuizProblem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [QuizProblem(rel, 1, "", "file", f"a readable UTF-8 file ({exc})")]
    try:
        doc = _Doc(yaml.compose(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "valid YAML"
        return None, [QuizProblem(rel, mark.line + 1 if mark else 1, "", "yaml",
                                  f"valid YAML ({problem})")]
    except ValueError as exc:  # well-formed but impossible, e.g. 2026-13-01
        return None, [QuizProblem(rel, 1, "", "yaml", f"valid values ({exc})")]
    duplicates = _duplicate_keys(doc.node)
    if duplicates:
        return None, [QuizProblem(rel, line, "", key, "to appear once in its mapping")
                      for key, line in duplicates]
    if not isinstance(doc.data, dict):
        return None, [QuizProblem(rel, 1, "", "file", "a mapping of key: value")]
    return doc, []


# -- banks ----------------------------------------------------------------------

@dataclass
class Bank:
    id: str
    title: str
    path: str
    questions: list[dict[str, Any]] = field(default_factory=list)
    use: str = "exam"  # one of BANK_USES


def _parse_bank(doc: _Doc, rel: str, plan: PlanFacts | None = None
                ) -> tuple[Bank | None, list[QuizProblem]]:
    """A bank's questions, each valid for its type and, given the county plan,
    citing and agreeing with it (``sources.plan_problems``)."""
    data: dict[str, Any] = doc.data
    problems: list[QuizProblem] = []

    def top(key: str, message: str) -> None:
        problems.append(QuizProblem(rel, doc.line_of(key), "", key, message))

    for key in data:
        if key not in BANK_KEYS:
            top(str(key), "a known key: " + ", ".join(BANK_KEYS))
    bank_id, title, questions = data.get("bank"), data.get("title"), data.get("questions")
    if bank_id is None:
        top("bank", "required: the bank id, e.g. poverty-basics")
    elif not isinstance(bank_id, str) or not re.fullmatch(ID_PATTERN, bank_id) or len(bank_id) > 80:
        top("bank", "a bank id of letters, digits and hyphens, e.g. poverty-basics")
    if title is None:
        top("title", "required: the bank's title")
    elif not isinstance(title, str) or not title.strip() or len(title) > 200:
        top("title", "a non-empty text of at most 200 characters")
    about = data.get("about")
    if about is not None and about != "plan":
        top("about", "plan (every question of the bank is on the county plan), or no key")
    use = data.get("use", "exam")
    if use not in BANK_USES:
        top("use", "practice (练习题库) or exam (考试题库, the default)")
    if questions is None:
        top("questions", "required: a list of questions")
        questions = []
    elif not isinstance(questions, list):
        top("questions", "a list of questions")
        questions = []
    for index, question in enumerate(questions):
        qid = question.get("id") if isinstance(question, dict) else None
        item = qid if isinstance(qid, str) else f"questions[{index + 1}]"
        found = [(p.field, p.expected) for p in validate_question(question)]
        if not found and plan is not None:
            found = plan_problems(question, plan, about_plan=about == "plan")
        for name, expected in found:
            line = doc.line_of("questions", index, name)
            problems.append(QuizProblem(rel, line, item, name, expected))
    if problems:
        return None, problems
    return Bank(bank_id, title, rel, list(questions), use), []


# -- tests ----------------------------------------------------------------------

_TEST_EXPECTED: dict[str, str] = {
    "id": "a test id of letters, digits and hyphens, e.g. 2026-H2",
    "title": "a non-empty text",
    "practice": "true or false",
    "opens": "a date-time with offset, e.g. 2026-12-01T08:00:00+08:00",
    "closes": "a date-time with offset, e.g. 2026-12-31T22:00:00+08:00",
    "time_limit_minutes": "whole minutes between 1 and 600",
    "pass_score": "a score between 0 and 100",
    "attempts": "a whole number of attempts, at least 1",
    "credit_hours_on_pass": "学时 between 0 and 10",
    "audience": "all, or a list of organization codes",
    "sections": "a list of sections {bank, count, points, types?, tags?}",
    "review": "one of after_submit, after_close, never",
    "bank": "a bank id",
    "count": "a whole number of questions, at least 1",
    "points": "points per question, greater than 0",
    "types": "a list of question types: " + known_types(),
    "tags": "a list of tags",
}
REQUIRED_UNLESS_PRACTICE = ("opens", "closes", "time_limit_minutes", "attempts")


def _field_name(loc: tuple[Any, ...]) -> str:
    """``("sections", 1, "count")`` → ``sections[2].count`` (sections counted from 1)."""
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part + 1}]" if parts else f"[{part + 1}]"
        else:
            parts.append(str(part))
    return ".".join(parts) or "test"


def _parse_test(doc: _Doc, rel: str) -> tuple[TestDefinition | None, list[QuizProblem]]:
    data: dict[str, Any] = doc.data
    raw_id = data.get("id")
    item = str(raw_id) if raw_id is not None else ""
    try:
        test = TestDefinition.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not isinstance(p, str) or p in _TEST_EXPECTED
                        or err["type"] == "extra_forbidden")
            # Union members add their own loc parts (e.g. "list[str]"); keep the field path.
            loc = tuple(p for p in loc if not (isinstance(p, str) and "[" in p))
            name = _field_name(loc)
            last = next((p for p in reversed(loc) if isinstance(p, str)), "")
            if err["type"] == "extra_forbidden":
                message = "a known key (unknown key)"
            elif err["type"] == "missing":
                message = "required: " + _TEST_EXPECTED.get(last, "a value")
            else:
                message = _TEST_EXPECTED.get(last, err["msg"])
            problems.append(QuizProblem(rel, doc.line_of(*loc), item, name, message))
        # One problem per field is enough (union types report each member).
        unique = {(p.line, p.field): p for p in problems}
        return None, list(unique.values())
    problems = []
    if not test.practice:
        for key in REQUIRED_UNLESS_PRACTICE:
            if getattr(test, key) is None:
                problems.append(QuizProblem(rel, 1, test.id, key, "required (unless practice: "
                                            "true): " + _TEST_EXPECTED[key]))
        total = sum(section.count * section.points for section in test.sections)
        if abs(total - 100) > 1e-9:
            problems.append(QuizProblem(rel, doc.line_of("sections"), test.id, "sections",
                                        f"points adding up to 100 (count × points gives "
                                        f"{total:g})"))
    if test.opens and test.closes and test.opens >= test.closes:
        problems.append(QuizProblem(rel, doc.line_of("closes"), test.id, "closes",
                                    f"a time after opens ({test.opens.isoformat()})"))
    return (None, problems) if problems else (test, [])


def eligible(bank: Bank, section: Section) -> list[dict[str, Any]]:
    """The bank's questions a section may draw from (its types and tags)."""
    return [q for q in bank.questions
            if (section.types is None or q["type"] in section.types)
            and (section.tags is None or set(section.tags) & set(q.get("tags") or []))]


def _check_sections(test: TestDefinition, doc: _Doc, rel: str,
                    banks: dict[str, Bank], declared: set[str]) -> list[QuizProblem]:
    """Each section's bank exists, is of the right use and holds enough questions.

    A practice set draws only from practice banks and a test only from exam
    banks: practice hands out keys and explanations after every answer, so a
    bank shared with a test would give the test's key away.
    """
    problems = []
    use = "practice" if test.practice else "exam"
    for index, section in enumerate(test.sections):
        name = f"sections[{index + 1}]"
        if section.bank not in banks and section.bank in declared:
            continue  # the bank exists but has its own problems, reported there
        if section.bank not in banks:
            # The banks this file may draw from: a test, exam banks; practice, practice banks.
            known = ", ".join(sorted(b.id for b in banks.values() if b.use == use)) or "none loaded"
            problems.append(QuizProblem(rel, doc.line_of("sections", index, "bank"), test.id,
                                        f"{name}.bank", f"a known bank ({known})"))
            continue
        bank = banks[section.bank]
        if bank.use != use:
            if test.practice:
                expected = (f"a practice bank (use: practice): {bank.id} is an exam bank "
                            f"(考试题库), and practice feedback would hand out its keys")
            else:
                expected = (f"an exam bank (use: exam): {bank.id} is a practice bank "
                            f"(练习题库), whose keys practice hands out")
            problems.append(QuizProblem(rel, doc.line_of("sections", index, "bank"), test.id,
                                        f"{name}.bank", expected))
            continue
        available = len(eligible(banks[section.bank], section))
        if section.count > available:
            what = []
            if section.types:
                what.append("types " + ", ".join(section.types))
            if section.tags:
                what.append("tags " + ", ".join(section.tags))
            of = f" of {'; '.join(what)}" if what else ""
            problems.append(QuizProblem(
                rel, doc.line_of("sections", index, "count"), test.id, f"{name}.count",
                f"at most {available}: bank {section.bank} has {available} question(s){of}"))
    return problems


# -- the whole directory ------------------------------------------------------

@dataclass
class QuizSet:
    banks: dict[str, Bank]
    tests: dict[str, TestDefinition]

    @property
    def question_count(self) -> int:
        return sum(len(bank.questions) for bank in self.banks.values())


def load_quizzes(root: Path, plan: PlanFacts | None = None) -> QuizSet:
    """Parse and validate ``root/banks/*.yaml`` and ``root/tests/*.yaml``, and,
    given the county plan, every question that is on it.

    Raises ``QuizError`` with every problem found.
    """
    problems: list[QuizProblem] = []
    if not root.is_dir():
        raise QuizError([QuizProblem(str(root), 1, "", "directory",
                                     "a quizzes directory with banks/ and tests/")])
    banks: dict[str, Bank] = {}
    question_seen: dict[str, tuple[str, int]] = {}
    declared: set[str] = set()  # bank ids named by any file, valid or not
    for path in sorted((root / "banks").glob("*.yaml")):
        rel = path.relative_to(root).as_posix()
        doc, found = _read(path, rel)
        problems += found
        if doc is None:
            continue
        # Duplicate ids are checked even when the bank has other problems.
        for index, question in enumerate(doc.data.get("questions") or []):
            qid = question.get("id") if isinstance(question, dict) else None
            if not isinstance(qid, str):
                continue
            line = doc.line_of("questions", index, "id")
            if qid in question_seen:
                first_path, first_line = question_seen[qid]
                problems.append(QuizProblem(rel, line, qid, "id", f"a unique question id "
                                            f"(also at {first_path}:{first_line})"))
            else:
                question_seen[qid] = (rel, line)
        if isinstance(doc.data.get("bank"), str):
            declared.add(doc.data["bank"])
        bank, found = _parse_bank(doc, rel, plan)
        problems += found
        if bank is None:
            continue
        if bank.id in banks:
            problems.append(QuizProblem(rel, doc.line_of("bank"), "", "bank",
                                        f"a unique bank id (also in {banks[bank.id].path})"))
            continue
        banks[bank.id] = bank

    tests: dict[str, TestDefinition] = {}
    test_paths: dict[str, str] = {}
    for path in sorted((root / "tests").glob("*.yaml")):
        rel = path.relative_to(root).as_posix()
        doc, found = _read(path, rel)
        problems += found
        if doc is None:
            continue
        test, found = _parse_test(doc, rel)
        problems += found
        if test is None:
            continue
        if test.id in tests:
            problems.append(QuizProblem(rel, doc.line_of("id"), test.id, "id",
                                        f"a unique test id (also in {test_paths[test.id]})"))
            continue
        problems += _check_sections(test, doc, rel, banks, declared)
        tests[test.id] = test
        test_paths[test.id] = rel
    if problems:
        raise QuizError(problems)
    return QuizSet(banks, tests)
