"""Regrading: a question's key was wrong, and members were graded on it.

Attempts pin the question versions they drew (contract 4), so correcting a
bank never changes a grade by itself. Regrading is the deliberate step after
it: a named person, a reason, one rule for one pinned version in one test,
kept on record with every score it changed. A regrade only ever adds: a
member who gave the old key keeps the points (they answered as taught), a
member who gave the right answer gets them, a question with no right option
is voided (full points to all). A member who now passes gets the test's 学时.
Open attempts on that version are graded with the rule when they are submitted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from learning_app.audit.service import record as audit
from learning_app.credits.ledger import award, org_on
from learning_app.db import begin_write
from learning_app.errors import Refused
from learning_app.models import (
    Attempt,
    AttemptQuestion,
    Member,
    QuestionVersion,
    QuizBank,
    QuizTest,
    Regrade,
    RegradeChange,
)
from learning_app.models.types import local_date
from learning_app.quiz.attempts import definition
from learning_app.quiz.grading import passes, score_attempt
from learning_app.quiz.types import get_type


def parse_answer(question_type: str, text: str) -> Any:
    """A key as typed on the command line, in the type's own terms (its
    ``parse_typed``): single ``B``; multiple ``A,C``; judge ``true``/``false``;
    blank ``甲|乙``."""
    return get_type(question_type).parse_typed(text)


def check_rule(data: dict[str, Any], rule: dict[str, Any]) -> None:
    if rule == {"void": True}:
        return
    if set(rule) != {"also_correct"}:
        raise Refused(400, "规则只能是作废本题（void）或增加正确答案（also_correct）")
    problems = get_type(data["type"]).validate_answer({**data, "answer": rule["also_correct"]})
    if problems:
        raise Refused(400, f"增加的正确答案不符合题型：{problems[0].expected}")


def pinned_versions(session: Session, test_id: str, question_id: str) -> list[QuestionVersion]:
    """The versions of a question that attempts at this test drew."""
    return list(session.scalars(
        select(QuestionVersion).where(QuestionVersion.question_id == question_id,
                                      QuestionVersion.id.in_(
            select(AttemptQuestion.question_version_id)
            .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
            .where(Attempt.test_id == test_id)))
        .order_by(QuestionVersion.created_at, QuestionVersion.id)))


def current_hash(session: Session, version: QuestionVersion) -> str | None:
    bank = session.get(QuizBank, version.bank_id)
    entries = bank.definition.get("questions", []) if bank else []
    return next((q["hash"] for q in entries if q["id"] == version.question_id), None)


def choose_version(session: Session, test_id: str, question_id: str,
                   version_prefix: str | None) -> QuestionVersion:
    """The pinned version to regrade: named by a hash prefix, or else the only
    pinned one that is no longer the bank's current version."""
    pinned = pinned_versions(session, test_id, question_id)
    if version_prefix:
        chosen = [v for v in pinned if v.content_hash.startswith(version_prefix)]
    else:
        chosen = [v for v in pinned if v.content_hash != current_hash(session, v)]
    if len(chosen) != 1:
        listed = "，".join(v.content_hash[:12] for v in pinned) or "无"
        raise Refused(409, f"请用版本号指明要重新评分的版本（本次测试用到的 {question_id} "
                               f"版本：{listed}）")
    return chosen[0]


@dataclass(frozen=True)
class RegradeResult:
    regrade_id: int
    version_hash: str
    attempts: int  # graded attempts that drew the version
    raised: int  # of them, how many scores went up
    newly_passed: int


def regrade(session: Session, *, test_id: str, question_id: str, rule: dict[str, Any],
            reason: str, by: str, now: dt.datetime, version_prefix: str | None = None
            ) -> RegradeResult:
    """Record the rule and re-score every graded attempt that drew the version
    (committed as one transaction; a second regrade of the version is refused)."""
    if len(reason.strip()) < 4:
        raise Refused(400, "请写明重新评分的原因")
    begin_write(session)  # a parallel regrade waits, then finds this one on record
    test_row = session.get(QuizTest, test_id)
    if test_row is None:
        raise Refused(404, f"没有找到测试 {test_id}")
    test = definition(test_row)
    version = choose_version(session, test_id, question_id, version_prefix)
    check_rule({**version.data, "id": question_id}, rule)
    record = Regrade(test_id=test_id, question_version_id=version.id, rule=rule,
                     reason=reason.strip()[:500], created_by=by[:80], created_at=now)
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        session.rollback()
        raise Refused(409, f"{question_id} 的这个版本在测试 {test_id} 中已经重新评过分，"
                               "不能重复") from None
    attempt_ids = session.scalars(
        select(Attempt.id).join(AttemptQuestion, AttemptQuestion.attempt_id == Attempt.id)
        .where(Attempt.test_id == test_id, AttemptQuestion.question_version_id == version.id,
               Attempt.score.is_not(None))
        .order_by(Attempt.id)).all()
    raised = newly_passed = 0
    table = Attempt.__table__
    for attempt_id in attempt_ids:
        attempt = session.get_one(Attempt, attempt_id)
        old_score, old_passed = attempt.score or Decimal(0), bool(attempt.passed)
        score, max_score = score_attempt(session, attempt_id)
        if score <= old_score:
            continue  # never lowered: what a member was given stays theirs
        passed = old_passed or passes(score, max_score, test.pass_score)
        session.execute(update(table).where(table.c.id == attempt_id).values(
            score=score, passed=passed))
        session.add(RegradeChange(regrade_id=record.id, attempt_id=attempt_id,
                                  old_score=old_score, new_score=score,
                                  old_passed=old_passed, new_passed=passed))
        raised += 1
        if passed and not old_passed:
            newly_passed += 1
            _credit(session, test_row, attempt)
    audit(session, "regrade", actor_label=by[:120], target_label=f"{test_row.title}（{test_id}）",
          after={"test": test_row.title, "question": question_id,
                 "version": version.content_hash[:12], "rule": rule, "reason": reason.strip(),
                 "attempts": len(attempt_ids), "raised": raised, "newly_passed": newly_passed},
          at=now)
    session.commit()
    return RegradeResult(record.id, version.content_hash, len(attempt_ids), raised,
                         newly_passed)


def _credit(session: Session, test_row: QuizTest, attempt: Attempt) -> None:
    test = definition(test_row)
    if test.practice or test.credit_hours_on_pass <= 0:
        return
    stamp = attempt.submitted_at or attempt.started_at
    member = session.get_one(Member, attempt.member_id)
    org_id = org_on(session, attempt.member_id, local_date(stamp)) or member.org_id
    if org_id is not None:
        award(session, member_id=attempt.member_id, org_id=org_id, source_type="test",
              source_key=f"test:{test_row.id}", hours=Decimal(str(test.credit_hours_on_pass)),
              earned_at=stamp, note=f"{test_row.title[:150]}（重新评分）")
