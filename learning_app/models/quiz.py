"""Question banks, tests and content-addressed question versions (contract 4).

As in Moodle, bank, test and (later) attempt are kept apart: an attempt pins
the ``QuestionVersion`` rows it drew, so editing a bank never changes it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from learning_app.extensions import db
from learning_app.models.types import BigId, utcnow


class QuizBank(db.Model):
    """A bank as last loaded; ``definition`` lists its questions' current versions."""

    __tablename__ = "quiz_banks"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # {"path": "banks/x.yaml", "questions": [{"id": "pb-001", "hash": "…"}, …]}
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
