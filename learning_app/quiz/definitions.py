"""Test definitions (contract 4) as the engine uses them, apart from any file format.

The attempt engine reads these from the database (``QuizTest.definition``);
the YAML loader validates files into them. Neither depends on the other.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from learning_app.quiz.types import QUESTION_TYPES

ID_PATTERN = r"^[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*$"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bank: str = Field(min_length=1)
    count: int = Field(ge=1)
    points: float = Field(gt=0)
    types: list[str] | None = None
    tags: list[str] | None = None

    @field_validator("types")
    @classmethod
    def _known_types(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and (not value or any(t not in QUESTION_TYPES for t in value)):
            raise ValueError("unknown type")
        return value


class TestDefinition(BaseModel):
    """A test (or, with ``practice: true``, a practice set) over one or more banks."""

    __test__ = False  # not a pytest class
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID_PATTERN, max_length=80)
    title: str = Field(min_length=1, max_length=200)
    practice: bool = False
    opens: dt.datetime | None = None
    closes: dt.datetime | None = None
    time_limit_minutes: int | None = Field(default=None, ge=1, le=600)
    pass_score: float = Field(default=60, ge=0, le=100)
    attempts: int | None = Field(default=None, ge=1)
    credit_hours_on_pass: float = Field(default=0, ge=0, le=10)
    audience: Literal["all"] | list[str] = "all"
    sections: list[Section] = Field(min_length=1)
    review: Literal["after_submit", "after_close", "never"] | None = None

    @field_validator("opens", "closes")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("offset")
        return value

    @property
    def review_policy(self) -> str:
        if self.review:
            return self.review
        return "after_submit" if self.practice else "after_close"
