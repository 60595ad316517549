"""错题本: the questions a member last got wrong, to revisit.

Only answers whose review is open count (practice answers at once; a test's
after its `review` time), so the book never leaks a running test's key; and
no question of a bank that a running test of the member's draws from shows
at all (``attempts.sealed_banks``), whichever attempt it was met in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from learning_app.models import (
    Attempt,
    AttemptAnswer,
    AttemptQuestion,
    Member,
    QuestionVersion,
    QuizTest,
)
from learning_app.quiz.attempts import definition, review_allowed, sealed_banks
from learning_app.quiz.types import QuestionType, get_type


def wrong_book(session: Session, member_id: int, now: dt.datetime) -> list[dict[str, Any]]:
    member = session.get(Member, member_id)
    if member is None:
        return []
    sealed = sealed_banks(session, member, now)
    rows = session.execute(
        select(Attempt, AttemptQuestion, QuestionVersion, AttemptAnswer)
        .join(AttemptQuestion, AttemptQuestion.attempt_id == Attempt.id)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
        .outerjoin(AttemptAnswer, and_(AttemptAnswer.attempt_id == Attempt.id,
                                       AttemptAnswer.position == AttemptQuestion.position))
        .where(Attempt.member_id == member_id)
        .order_by(Attempt.started_at, Attempt.id, AttemptQuestion.position)).all()
    tests: dict[str, QuizTest | None] = {}
    latest: dict[str, tuple[float, dict[str, Any]]] = {}
    for attempt, question, version, answer in rows:
        test = tests.setdefault(attempt.test_id, session.get(QuizTest, attempt.test_id))
        if test is None or version.bank_id in sealed:
            continue
        if definition(test).practice:
            if answer is None:
                continue  # not yet answered is not a mistake
        elif not review_allowed(session, test, attempt, now):
            continue
        data = {**version.data, "id": version.question_id}
        response = answer.response if answer else None
        kind = get_type(data["type"])
        fraction = kind.grade(data, response)
        # The newest answer to a question decides: right later takes it out of the book.
        latest[version.question_id] = (fraction, {
            "question_id": version.question_id, "test_title": test.title,
            "presented": question.presented, "response": response,
            "answer": data.get("answer"), "explanation": data.get("explanation"),
            "response_text": _as_text(kind, question.presented, response),
            "answer_text": _as_text(kind, question.presented, data.get("answer")),
        })
    return [item for fraction, item in latest.values() if fraction < 1]


def _as_text(kind: type[QuestionType], presented: dict[str, Any], value: Any) -> str:
    """A response or key as the page shows it; the type words it (see answer_text)."""
    if value is None or value == [] or value == "":
        return "未作答"
    return kind.answer_text(presented, value)
