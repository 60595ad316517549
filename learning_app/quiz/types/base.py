"""The question-type protocol and registry: validate, shuffle, render, grade,
and every other per-type concern (Excel cells, answer text, analysis, regrade).

Modelled on CTFd's challenge-type registry: each type is a class that carries
all of its behaviour and registers itself with ``@register``; the rest of the
engine only looks types up by name. Types are stateless; every method takes
the question dict as it appears in the bank (already parsed from YAML), or the
question as presented to the member where it says so.

The registry lives here, not in the package ``__init__``, so that a type's
module can import ``register`` without an import cycle.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

COMMON_FIELDS = ("id", "type", "stem", "explanation", "source", "tags")
# A blank in a stem: （　）, ( ), ＿＿ or ____.
_BLANK = re.compile(r"[（(][\s\u3000]*[）)]|[_＿]{2,}")


def fill(stem: str, text: str) -> str:
    """The stem as a statement answered with ``text``: into its blank, or after it."""
    if _BLANK.search(stem):
        return _BLANK.sub(lambda _m: text, stem, count=1)
    return f"{stem.rstrip().rstrip('？?。：:')}：{text}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a question: the field and what was expected."""

    field: str
    expected: str


class QuestionType:
    """Base class; subclasses set ``name``/``label`` and override the hooks."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    # Keys a question of this type may carry besides COMMON_FIELDS.
    fields: ClassVar[tuple[str, ...]] = ()

    # -- validation ---------------------------------------------------------
    @classmethod
    def validate(cls, question: dict[str, Any]) -> list[Problem]:
        """Problems with the type-specific fields (options, answer, flags)."""
        problems: list[Problem] = []
        for flag in ("shuffle", "partial"):
            if flag in cls.fields and flag in question and not isinstance(question[flag], bool):
                problems.append(Problem(flag, "true or false"))
        return problems + cls.validate_answer(question)

    @classmethod
    def validate_answer(cls, question: dict[str, Any]) -> list[Problem]:
        return []

    # -- presentation -------------------------------------------------------
    @classmethod
    def option_keys(cls, question: dict[str, Any]) -> list[str]:
        """Option keys in the bank's order (empty for types without options)."""
        return [str(key) for key in (question.get("options") or {})]

    @classmethod
    def shuffle(cls, question: dict[str, Any], rng: random.Random) -> list[str]:
        """Option keys in presented order; ``shuffle: false`` keeps the bank's order."""
        keys = cls.option_keys(question)
        if question.get("shuffle", True) is not False:
            rng.shuffle(keys)
        return keys

    @classmethod
    def option_text(cls, question: dict[str, Any], key: str) -> str:
        return str(question["options"][key])

    @classmethod
    def render(cls, question: dict[str, Any], order: list[str] | None = None) -> dict[str, Any]:
        """What the browser gets before review: never the answer or explanation."""
        keys = order if order is not None else cls.option_keys(question)
        return {
            "id": question["id"],
            "type": cls.name,
            "stem": question["stem"],
            "options": [{"key": key, "text": cls.option_text(question, key)} for key in keys],
        }

    # -- responses ----------------------------------------------------------
    @classmethod
    def valid_response(cls, presented: dict[str, Any], response: Any) -> bool:
        """Whether ``response`` has this type's shape for the question as presented
        (``None`` clears an answer). Default: one of the presented option keys."""
        if response is None:
            return True
        keys = {str(option["key"]) for option in presented.get("options") or []}
        return isinstance(response, str) and response in keys

    # -- what the key asserts -------------------------------------------------
    @classmethod
    def key_texts(cls, question: dict[str, Any]) -> list[str]:
        """The texts of the correct answer(s) (the option texts for choice types)."""
        answer = question.get("answer")
        keys = answer if isinstance(answer, list) else [answer]
        return [cls.option_text(question, str(key)) for key in keys]

    @classmethod
    def keyed_statements(cls, question: dict[str, Any]) -> list[str]:
        """What the question holds true once answered by its key, one statement
        per correct answer: checked against the county plan's figures."""
        return [fill(str(question["stem"]), text) for text in cls.key_texts(question)]

    # -- grading ------------------------------------------------------------
    @classmethod
    def grade(cls, question: dict[str, Any], response: Any) -> float:
        """The fraction of the question's points earned, 0..1."""
        raise NotImplementedError

    # -- people and tools -----------------------------------------------------
    @classmethod
    def answer_text(cls, presented: dict[str, Any], value: Any) -> str:
        """A non-empty response or key as people read it, e.g. ``A. 甲；C. 丙``
        (the 错题本). ``presented`` is the question as the member saw it."""
        texts = {str(option["key"]): str(option["text"])
                 for option in presented.get("options") or []}
        keys = value if isinstance(value, list) else [value]
        return "；".join(f"{key}. {texts.get(str(key), '')}" for key in keys)

    @classmethod
    def parse_typed(cls, text: str) -> Any:
        """An answer typed on the command line (regrade's ``--also-correct``), in
        this type's YAML shape; the validation that follows judges it."""
        return text.strip()

    # -- the Excel 题库 sheet ---------------------------------------------------
    @classmethod
    def sheet_names(cls) -> tuple[str, ...]:
        """What the 题型 cell may say for this type: the label, with or without 题."""
        return (cls.label, f"{cls.label}题")

    @classmethod
    def answer_from_sheet(cls, text: str, options: dict[str, str]) -> tuple[Any, str | None]:
        """The 答案 cell (stripped) as the YAML answer, and what was expected when
        it can't be read (a Chinese phrase for the row problem), else None.
        ``options`` holds the filled 选项 columns, key → text. By default the text
        as it is: validating the question afterwards reports a bad one."""
        return text, None

    @classmethod
    def answer_to_sheet(cls, answer: Any) -> str:
        """The YAML answer as the 答案 cell text that ``answer_from_sheet`` reads back."""
        return str(answer)

    # -- item analysis ----------------------------------------------------------
    @classmethod
    def distribution_keys(cls, question: dict[str, Any]) -> list[str] | None:
        """The keys responses are counted under, in order (the options); None for a
        free-text type, whose answers are counted by ``response_keys`` as they come."""
        return cls.option_keys(question)

    @classmethod
    def response_keys(cls, question: dict[str, Any], response: Any) -> list[str]:
        """What a non-empty response counts under: each option key it holds. For a
        free-text type, an empty list counts the response as unanswered."""
        chosen = response if isinstance(response, list) else [response]
        return [str(item) for item in chosen]

    # -- versioning ---------------------------------------------------------
    @classmethod
    def canonical(cls, question: dict[str, Any]) -> dict[str, Any]:
        """The content that identifies a version, defaults filled in."""
        return {
            "type": cls.name,
            "stem": question.get("stem"),
            "options": {str(k): v for k, v in (question.get("options") or {}).items()},
            "answer": question.get("answer"),
            "explanation": question.get("explanation"),
            "tags": list(question.get("tags") or []),
            "shuffle": question.get("shuffle", True) is not False,
            "partial": question.get("partial", False) is True,
        }


QuestionTypeT = TypeVar("QuestionTypeT", bound=type[QuestionType])
QUESTION_TYPES: dict[str, type[QuestionType]] = {}


def register(question_type: QuestionTypeT) -> QuestionTypeT:
    """Class decorator: add a type to the registry under its ``name``."""
    taken = QUESTION_TYPES.get(question_type.name)
    if not question_type.name or (taken is not None and taken is not question_type):
        raise ValueError(f"question type name {question_type.name!r} is empty or taken")
    QUESTION_TYPES[question_type.name] = question_type
    return question_type


def unregister(name: str) -> None:
    """Take a type out of the registry again (a plugin's or a test's cleanup)."""
    QUESTION_TYPES.pop(name, None)


def get_type(name: str) -> type[QuestionType]:
    """The type class for ``name``; KeyError when unknown."""
    return QUESTION_TYPES[name]
