"""Grading an attempt: its stored answers against the versions it pinned,
with any regrade on record for those versions (``regrade.py``)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from learning_app.models import Attempt, AttemptAnswer, AttemptQuestion, QuestionVersion, Regrade
from learning_app.quiz.types import get_type

CENT = Decimal("0.01")


def graded_fraction(question: dict[str, Any], response: Any,
                    rule: dict[str, Any] | None = None) -> float:
    """The fraction of the points earned, 0..1. A regrade only ever adds: a voided
    question is full points for everyone, a second key counts as well as the first."""
    kind = get_type(question["type"])
    fraction = kind.grade(question, response)
    if rule is None:
        return fraction
    if rule.get("void"):
        return 1.0
    if "also_correct" in rule:
        fraction = max(fraction, kind.grade({**question, "answer": rule["also_correct"]},
                                            response))
    return fraction


def regrade_rules(session: Session, test_id: str) -> dict[int, dict[str, Any]]:
    """The test's regrades on record, by question version."""
    return {version_id: rule for version_id, rule in session.execute(
        select(Regrade.question_version_id, Regrade.rule).where(Regrade.test_id == test_id))}


def questions_of(session: Session, attempt_id: int) -> list[AttemptQuestion]:
    return list(session.scalars(select(AttemptQuestion).where(
        AttemptQuestion.attempt_id == attempt_id).order_by(AttemptQuestion.position)))


def responses_of(session: Session, attempt_id: int) -> dict[int, Any]:
    return {row.position: row.response for row in session.scalars(
        select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id))}


def points(question: AttemptQuestion, fraction: float) -> Decimal:
    return (question.points * Decimal(str(fraction))).quantize(CENT, ROUND_HALF_UP)


def score_attempt(session: Session, attempt_id: int) -> tuple[Decimal, Decimal]:
    """(score, max_score) of the stored answers against the pinned versions."""
    test_id = session.get_one(Attempt, attempt_id).test_id
    rules = regrade_rules(session, test_id)
    responses = responses_of(session, attempt_id)
    score = max_score = Decimal(0)
    for question in questions_of(session, attempt_id):
        version = session.get_one(QuestionVersion, question.question_version_id)
        data = {**version.data, "id": version.question_id}
        fraction = graded_fraction(data, responses.get(question.position),
                                   rules.get(question.question_version_id))
        max_score += question.points
        score += points(question, fraction)
    return score, max_score


def passes(score: Decimal, max_score: Decimal, pass_score: float) -> bool:
    """Whether a score reaches the pass mark (a percentage of the maximum)."""
    return max_score > 0 and score * 100 >= Decimal(str(pass_score)) * max_score
