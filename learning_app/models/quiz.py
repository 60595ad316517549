"""Question banks, tests and content-addressed question versions (contract 4).

As in Moodle, bank, test and (later) attempt are kept apart: an attempt pins
the ``QuestionVersion`` rows it drew, so editing a bank never changes it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from learning_app.extensions import db
from learning_app.models.types import BigId, utcnow


class QuizBank(db.Model):
    """A bank as last loaded; ``definition`` lists its questions' current versions."""

    __tablename__ = "quiz_banks"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # {"path": "banks/x.yaml", "use": "exam" | "practice",
    #  "questions": [{"id": "pb-001", "hash": "…"}, …]}  ("use" absent: loaded before it)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class QuizTest(db.Model):
    """A test or practice set; ``definition`` is its validated YAML as JSON."""

    __tablename__ = "quiz_tests"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class QuestionVersion(db.Model):
    """One version of a question, identified by the hash of its content.

    Rows are never updated: an edited question is a new row.
    """

    __tablename__ = "question_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bank_id: Mapped[str] = mapped_column(ForeignKey("quiz_banks.id"), index=True)
    question_id: Mapped[str] = mapped_column(String(80))
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # the canonical content
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("question_id", "content_hash"),)


class Attempt(db.Model):
    """One member's attempt at a test; the server's clock decides its deadline."""

    __tablename__ = "quiz_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    test_id: Mapped[str] = mapped_column(ForeignKey("quiz_tests.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    number: Mapped[int]  # 1..n for this (test, member)
    seed: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[dt.datetime]  # naive UTC
    deadline_at: Mapped[dt.datetime | None]  # naive UTC; None for untimed practice
    status: Mapped[str] = mapped_column(String(12), default="open")  # open|submitted|expired
    submitted_at: Mapped[dt.datetime | None]
    score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    max_score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    passed: Mapped[bool | None]
    graded_at: Mapped[dt.datetime | None]

    __table_args__ = (
        UniqueConstraint("test_id", "member_id", "number"),
        Index("ix_quiz_attempts_status_deadline_at", "status", "deadline_at"),
    )


class AttemptQuestion(db.Model):
    """A question as it was presented in an attempt (a snapshot, option order included)."""

    __tablename__ = "quiz_attempt_questions"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)  # 1..n
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"),
                                                     index=True)
    points: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    presented: Mapped[dict[str, Any]] = mapped_column(JSON)


class AttemptAnswer(db.Model):
    """The member's latest saved response for one position (upserted by autosave)."""

    __tablename__ = "quiz_attempt_answers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id"))
    position: Mapped[int]
    response: Mapped[Any] = mapped_column(JSON)
    saved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("attempt_id", "position"),)


class TestOverride(db.Model):
    """An exception for one member: more time, more attempts, another window."""

    __test__ = False  # not a pytest class
    __tablename__ = "quiz_test_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[str] = mapped_column(ForeignKey("quiz_tests.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    extra_minutes: Mapped[int] = mapped_column(default=0)
    opens_at: Mapped[dt.datetime | None]  # naive UTC; replaces the test's opens
    closes_at: Mapped[dt.datetime | None]  # naive UTC; replaces the test's closes
    extra_attempts: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("test_id", "member_id"),)


class TestOverrideChange(db.Model):
    """Every setting or removal of an override, kept: overrides are never
    overwritten without a trace."""

    __test__ = False
    __tablename__ = "quiz_test_override_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[str] = mapped_column(ForeignKey("quiz_tests.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    change: Mapped[str] = mapped_column(String(20))  # "set" or "removed"
    extra_minutes: Mapped[int] = mapped_column(default=0)
    opens_at: Mapped[dt.datetime | None]
    closes_at: Mapped[dt.datetime | None]
    extra_attempts: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(String(200))
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_quiz_test_override_changes_test_member", "test_id", "member_id"),)


class Regrade(db.Model):
    """A deliberate correction of one question version's grading in one test.

    Written once (unique per test and version), by a named person with a
    reason; ``rule`` is {"void": true} (full points to everyone) or
    {"also_correct": <answer>} (a second key in the version's own terms).
    Grading applies it from then on, and ``RegradeChange`` keeps every score
    it changed, so the record shows who was regraded, from what, and why.
    """

    __tablename__ = "quiz_regrades"

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[str] = mapped_column(ForeignKey("quiz_tests.id"))
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"))
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(80))  # the operator or admin, by name
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("test_id", "question_version_id"),)


class RegradeChange(db.Model):
    """One attempt's score before and after a regrade (never lowered)."""

    __tablename__ = "quiz_regrade_changes"

    regrade_id: Mapped[int] = mapped_column(ForeignKey("quiz_regrades.id"), primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id"), primary_key=True)
    old_score: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    new_score: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    old_passed: Mapped[bool]
    new_passed: Mapped[bool]
