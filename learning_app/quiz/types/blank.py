"""填空 fill-in-the-blank: a list of accepted answers, compared leniently."""

from __future__ import annotations

import random
import re
import unicodedata
from typing import Any, ClassVar

from learning_app.quiz.types.base import Problem, QuestionType, register


def normalize(text: str) -> str:
    """Full-width → half-width (NFKC), no whitespace or punctuation, lower case.

    So ``"３２ 学时。"`` and ``"32学时"`` compare equal, as do ``"精准扶贫、"``
    and ``"精准 扶贫"``.
    """
    folded = unicodedata.normalize("NFKC", text)
    kept = (ch for ch in folded
            if not ch.isspace() and not unicodedata.category(ch).startswith("P"))
    return "".join(kept).casefold()


@register
class Blank(QuestionType):
    name = "blank"
    label = "填空"
    fields: ClassVar[tuple[str, ...]] = ("answer",)

    @classmethod
    def validate_answer(cls, question: dict[str, Any]) -> list[Problem]:
        expected = "a list of accepted answers, e.g. [32, 三十二]"
        if "answer" not in question:
            return [Problem("answer", "required: " + expected)]
        answer = question["answer"]
        if not isinstance(answer, list) or not answer:
            return [Problem("answer", expected)]
        for item in answer:
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                return [Problem("answer", expected)]
            if not normalize(str(item)):
                return [Problem("answer", f"answers with letters or digits (got {item!r})")]
        return []

    @classmethod
    def option_keys(cls, question: dict[str, Any]) -> list[str]:
        return []

    @classmethod
    def key_texts(cls, question: dict[str, Any]) -> list[str]:
        return [str(question["answer"][0])]  # the first accepted answer is the canonical one

    @classmethod
    def shuffle(cls, question: dict[str, Any], rng: random.Random) -> list[str]:
        return []

    @classmethod
    def valid_response(cls, presented: dict[str, Any], response: Any) -> bool:
        if response is None:
            return True
        if isinstance(response, bool) or not isinstance(response, str | int | float):
            return False
        if isinstance(response, int) and abs(response) >= 10**200:
            return False  # str() of a huge int is refused by Python itself
        return len(str(response)) <= 200

    @classmethod
    def grade(cls, question: dict[str, Any], response: Any) -> float:
        if isinstance(response, bool) or not isinstance(response, str | int | float):
            return 0.0
        given = normalize(str(response))
        if not given:
            return 0.0
        accepted = {normalize(str(item)) for item in question["answer"]}
        return 1.0 if given in accepted else 0.0

    @classmethod
    def answer_text(cls, presented: dict[str, Any], value: Any) -> str:
        return " / ".join(str(item) for item in value) if isinstance(value, list) else str(value)

    @classmethod
    def parse_typed(cls, text: str) -> Any:
        return [part.strip() for part in text.split("|") if part.strip()]  # 甲|乙

    @classmethod
    def answer_from_sheet(cls, text: str, options: dict[str, str]) -> tuple[Any, str | None]:
        accepted = [part.strip() for part in re.split(r"[|｜;；]", text) if part.strip()]
        return accepted, None if accepted else "至少一个可接受的答案，多个用 | 分隔"

    @classmethod
    def answer_to_sheet(cls, answer: Any) -> str:
        return "|".join(str(item) for item in answer)

    @classmethod
    def distribution_keys(cls, question: dict[str, Any]) -> list[str] | None:
        return None  # free text: the most common answers, not fixed keys

    @classmethod
    def response_keys(cls, question: dict[str, Any], response: Any) -> list[str]:
        given = normalize(response) if isinstance(response, str) else ""
        return [given] if given else []
