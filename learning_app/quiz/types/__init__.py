"""The registry of question types, looked up by the ``type`` of a question.

Each type registers itself with ``@register`` in its own module; importing the
modules here is what fills the registry, in this order (choice before blank:
the order shows in lists of types, e.g. the Excel 题型 problem).
"""

from __future__ import annotations

from typing import Any

from learning_app.quiz.types.base import (
    COMMON_FIELDS,
    QUESTION_TYPES,
    Problem,
    QuestionType,
    get_type,
    register,
    unregister,
)
from learning_app.quiz.types.choice import Judge, MultipleChoice, SingleChoice

# isort: split
# Imported after choice on purpose: registration order is the order types are listed in.
from learning_app.quiz.types.blank import Blank, normalize


def known_types() -> str:
    return ", ".join(f"{name} ({cls.label})" for name, cls in QUESTION_TYPES.items())


def validate_question(question: Any) -> list[Problem]:
    """Common fields, then the type's own; an unknown type is a problem too."""
    if not isinstance(question, dict):
        return [Problem("question", "a mapping with id, type, stem, answer …")]
    problems: list[Problem] = []
    qid = question.get("id")
    if qid is None:
        problems.append(Problem("id", "required: a stable question id, e.g. pb-001"))
    elif not isinstance(qid, str) or not qid.strip() or len(qid) > 80:
        problems.append(Problem("id", "a text of at most 80 characters, e.g. pb-001"))
    stem = question.get("stem")
    if stem is None:
        problems.append(Problem("stem", "required: the question text"))
    elif not isinstance(stem, str) or not stem.strip():
        problems.append(Problem("stem", "a non-empty text"))
    if "explanation" in question and not isinstance(question["explanation"], str | None):
        problems.append(Problem("explanation", "a text"))
    source = question.get("source")
    if "source" in question and (not isinstance(source, str) or not source.strip()
                                 or len(source) > 200):
        problems.append(Problem("source", "where the question comes from, e.g. 《方案》二(二)"))
    tags = question.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        problems.append(Problem("tags", "a list of non-empty texts, e.g. [退出标准]"))
    type_name = question.get("type")
    if type_name is None:
        return [*problems, Problem("type", "required: one of " + known_types())]
    if not isinstance(type_name, str) or type_name not in QUESTION_TYPES:
        return [*problems, Problem("type", "one of " + known_types())]
    cls = QUESTION_TYPES[type_name]
    allowed = (*COMMON_FIELDS, *cls.fields)
    problems += [Problem(str(key), f"a known key for a {type_name} question: {', '.join(allowed)}")
                 for key in question if key not in allowed]
    return problems + cls.validate(question)


__all__ = [
    "QUESTION_TYPES", "Blank", "Judge", "MultipleChoice", "Problem", "QuestionType",
    "SingleChoice", "get_type", "known_types", "normalize", "register", "unregister",
    "validate_question",
]
