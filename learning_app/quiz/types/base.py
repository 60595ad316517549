"""The question-type protocol: validate, shuffle, render, grade.

Modelled on CTFd's challenge-type registry: each type is a class that knows
its own YAML shape and how to grade itself; the rest of the engine only looks
types up by name. Types are stateless; every method takes the question dict
as it appears in the bank (already parsed from YAML).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any, ClassVar

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
