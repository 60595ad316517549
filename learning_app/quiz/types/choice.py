"""单选 single, 多选 multiple and 判断 judge questions."""

from __future__ import annotations

import random
import re
from typing import Any, ClassVar

from learning_app.quiz.types.base import Problem, QuestionType, register


def _options_problems(question: dict[str, Any]) -> list[Problem]:
    options = question.get("options")
    if options is None:
        return [Problem("options", "required: a mapping of option keys to texts, e.g. "
                                   "{A: …, B: …}")]
    if not isinstance(options, dict) or len(options) < 2:
        return [Problem("options", "a mapping of at least two option keys to texts, e.g. "
                                   "{A: …, B: …}")]
    for key, text in options.items():
        if not isinstance(key, str) or not key.strip():
            return [Problem("options", f"option keys as letters, e.g. A, B (got {key!r})")]
        if not isinstance(text, str | int | float) or isinstance(text, bool) or not str(text):
            return [Problem("options", f"a non-empty text for option {key}")]
    return []


def _one_of(question: dict[str, Any]) -> str:
    return "one of the options " + ", ".join(str(k) for k in question["options"])


def _sheet_keys(options: dict[str, str]) -> str:
    return "、".join(options) or "（无）"


@register
class SingleChoice(QuestionType):
    name = "single"
    label = "单选"
    fields: ClassVar[tuple[str, ...]] = ("options", "answer", "shuffle")

    @classmethod
    def validate_answer(cls, question: dict[str, Any]) -> list[Problem]:
        problems = _options_problems(question)
        if problems:
            return problems
        if "answer" not in question:
            return [Problem("answer", "required: " + _one_of(question))]
        if not isinstance(question["answer"], str) or question["answer"] not in question["options"]:
            return [Problem("answer", _one_of(question))]
        return []

    @classmethod
    def grade(cls, question: dict[str, Any], response: Any) -> float:
        return 1.0 if isinstance(response, str) and response == question["answer"] else 0.0

    @classmethod
    def answer_from_sheet(cls, text: str, options: dict[str, str]) -> tuple[Any, str | None]:
        key = text.upper()
        return key, None if key in options else f"选项{_sheet_keys(options)}中的一个"


@register
class MultipleChoice(QuestionType):
    """All or nothing by default; ``partial: true`` gives partial credit:
    (correct chosen − wrong chosen) / number of correct options, at least 0."""

    name = "multiple"
    label = "多选"
    fields: ClassVar[tuple[str, ...]] = ("options", "answer", "shuffle", "partial")

    @classmethod
    def validate_answer(cls, question: dict[str, Any]) -> list[Problem]:
        problems = _options_problems(question)
        if problems:
            return problems
        expected = "a list of two or more of the options " + ", ".join(
            str(k) for k in question["options"])
        answer = question.get("answer")
        if "answer" not in question:
            return [Problem("answer", "required: " + expected)]
        if (not isinstance(answer, list) or len(answer) < 2
                or len(set(map(str, answer))) != len(answer)
                or not all(isinstance(a, str) and a in question["options"] for a in answer)):
            return [Problem("answer", expected)]
        return []

    @classmethod
    def valid_response(cls, presented: dict[str, Any], response: Any) -> bool:
        if response is None:
            return True
        keys = {str(option["key"]) for option in presented.get("options") or []}
        return (isinstance(response, list)
                and all(isinstance(item, str) and item in keys for item in response)
                and len(set(response)) == len(response))

    @classmethod
    def grade(cls, question: dict[str, Any], response: Any) -> float:
        if isinstance(response, str):
            response = [response]
        if not isinstance(response, list | tuple | set):
            return 0.0
        chosen = {r for r in response if isinstance(r, str)}
        correct = set(question["answer"])
        if not question.get("partial", False):
            return 1.0 if chosen == correct else 0.0
        right = len(chosen & correct)
        wrong = len(chosen - correct)
        return max(0.0, (right - wrong) / len(correct))

    @classmethod
    def parse_typed(cls, text: str) -> Any:
        return [part.strip() for part in text.split(",") if part.strip()]  # A,C

    @classmethod
    def answer_from_sheet(cls, text: str, options: dict[str, str]) -> tuple[Any, str | None]:
        keys = list(re.sub(r"[\s,，、;；]", "", text.upper()))  # ACD, A,C,D or A、C、D
        if len(keys) < 2 or any(k not in options for k in keys) or len(set(keys)) != len(keys):
            return keys, f"至少两个不重复的选项字母，且都在{_sheet_keys(options)}之中，如 AC"
        return sorted(keys), None

    @classmethod
    def answer_to_sheet(cls, answer: Any) -> str:
        return "".join(answer)


@register
class Judge(QuestionType):
    """判断: the answer is true or false; presented as 正确 / 错误, never shuffled."""

    name = "judge"
    label = "判断"
    fields: ClassVar[tuple[str, ...]] = ("answer",)
    TEXTS: ClassVar[dict[str, str]] = {"true": "正确", "false": "错误"}
    # What a 判断 cell in the Excel sheet may say.
    TRUE_WORDS: ClassVar[frozenset[str]] = frozenset(
        {"正确", "对", "√", "是", "true", "t", "y", "yes"})
    FALSE_WORDS: ClassVar[frozenset[str]] = frozenset(
        {"错误", "错", "×", "否", "false", "f", "n", "no"})

    @classmethod
    def validate_answer(cls, question: dict[str, Any]) -> list[Problem]:
        if "answer" not in question:
            return [Problem("answer", "required: true or false")]
        if not isinstance(question["answer"], bool):
            return [Problem("answer", "true or false")]
        return []

    @classmethod
    def option_keys(cls, question: dict[str, Any]) -> list[str]:
        return ["true", "false"]

    @classmethod
    def option_text(cls, question: dict[str, Any], key: str) -> str:
        return cls.TEXTS[key]

    @classmethod
    def shuffle(cls, question: dict[str, Any], rng: random.Random) -> list[str]:
        return cls.option_keys(question)

    @classmethod
    def valid_response(cls, presented: dict[str, Any], response: Any) -> bool:
        # A wrong JSON shape (a list, an object) is simply not an answer.
        return response is None or isinstance(response, bool) or (
            isinstance(response, str) and response in cls.TEXTS)

    @classmethod
    def keyed_statements(cls, question: dict[str, Any]) -> list[str]:
        # A false statement is false by design; only a true one asserts anything.
        return [str(question["stem"])] if question.get("answer") is True else []

    @classmethod
    def grade(cls, question: dict[str, Any], response: Any) -> float:
        if isinstance(response, str):
            response = {"true": True, "false": False}.get(response.strip().lower())
        if not isinstance(response, bool):
            return 0.0
        return 1.0 if response is question["answer"] else 0.0

    @classmethod
    def answer_text(cls, presented: dict[str, Any], value: Any) -> str:
        return cls.TEXTS["true" if value in (True, "true") else "false"]

    @classmethod
    def parse_typed(cls, text: str) -> Any:
        text = text.strip()
        return {"true": True, "false": False}.get(text.lower(), text)

    @classmethod
    def answer_from_sheet(cls, text: str, options: dict[str, str]) -> tuple[Any, str | None]:
        word = text.lower()
        if word in cls.TRUE_WORDS:
            return True, None
        if word in cls.FALSE_WORDS:
            return False, None
        return text, "正确或错误"

    @classmethod
    def answer_to_sheet(cls, answer: Any) -> str:
        return "正确" if answer else "错误"

    @classmethod
    def response_keys(cls, question: dict[str, Any], response: Any) -> list[str]:
        # Responses are saved as booleans; the keys are their names.
        chosen = response if isinstance(response, list) else [response]
        return [("true" if item else "false") if isinstance(item, bool) else str(item)
                for item in chosen]
