"""Write a validated ``QuizSet``: upsert banks and tests, add new question versions.

A question version is identified by the SHA-256 of its canonical content
(type, stem, options, answer, explanation, tags, shuffle, partial), so an
edited question gets a new version and an unchanged one keeps its own.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from learning_app.db import rollback_on_error
from learning_app.models import QuestionVersion, QuizBank, QuizTest
from learning_app.models.types import utcnow
from learning_app.quiz.loader import QuizSet
from learning_app.quiz.types import get_type


def canonical(question: dict[str, Any]) -> dict[str, Any]:
    return get_type(question["type"]).canonical(question)


def content_hash(question: dict[str, Any]) -> str:
    text = json.dumps(canonical(question), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoreResult:
    banks: int
    tests: int
    questions: int
    new_versions: int

    def summary(self) -> str:
        return (f"banks: {self.banks}, tests: {self.tests}, questions: {self.questions}, "
                f"new versions: {self.new_versions}")


def store(session: Session, quizzes: QuizSet) -> StoreResult:
    """Upsert everything in one transaction (committed here; rolled back on error)."""
    now = utcnow()
    new_versions = 0
    with rollback_on_error(session):
        for bank in quizzes.banks.values():
            hashes = {q["id"]: content_hash(q) for q in bank.questions}
            definition = {"path": bank.path, "use": bank.use,
                          "questions": [{"id": qid, "hash": h} for qid, h in hashes.items()]}
            row = session.get(QuizBank, bank.id)
            if row is None:
                row = QuizBank(id=bank.id)
                session.add(row)
            row.title, row.definition, row.loaded_at = bank.title, definition, now
            session.flush()
            existing = {(row[0], row[1]) for row in session.execute(
                select(QuestionVersion.question_id, QuestionVersion.content_hash)
                .where(QuestionVersion.question_id.in_(list(hashes))))}
            for question in bank.questions:
                key = (question["id"], hashes[question["id"]])
                if key in existing:
                    continue
                session.add(QuestionVersion(bank_id=bank.id, question_id=key[0],
                                            content_hash=key[1], data=canonical(question),
                                            created_at=now))
                new_versions += 1
        for test in quizzes.tests.values():
            test_row = session.get(QuizTest, test.id)
            if test_row is None:
                test_row = QuizTest(id=test.id)
                session.add(test_row)
            test_row.title = test.title
            test_row.definition = test.model_dump(mode="json")
            test_row.loaded_at = now
        session.commit()
    return StoreResult(len(quizzes.banks), len(quizzes.tests), quizzes.question_count,
                       new_versions)
