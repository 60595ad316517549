"""Item analysis of a test, after Moodle's quiz statistics report.

Computed over each member's FIRST attempt that was handed in (submitted by
the member, or finished by the clock: both are graded), per question version:

* facility index: the mean mark as a fraction of the item's points, ×100;
* discrimination index: the Pearson correlation between the item's mark and
  the rest-of-test score (the attempt's total minus this item's mark), ×100;
  ``None`` when undefined (fewer than two attempts, or no spread in either);
* the distribution of responses over the options (blank questions: the most
  common normalized answers), with the unanswered counted apart;
* flags: too easy (> 90), too hard (< 20), negative (< 0), weak (0 ≤ d < 20).

The pure functions (``facility``, ``pearson``, ``discrimination``, ``flags``,
``distribution``, ``analyse``) take plain data; ``analyse_test`` reads the
database and hands them what it found.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from learning_app.models import Attempt, AttemptAnswer, AttemptQuestion, QuestionVersion
from learning_app.quiz.types import get_type

HANDED_IN = ("submitted", "expired")
CENT = Decimal("0.01")
EASY, HARD, WEAK = 90.0, 20.0, 20.0
FLAG_LABELS = {"easy": "过易", "hard": "过难", "negative": "区分度为负", "weak": "区分度偏低"}
TOP_ANSWERS = 5


# -- pure functions ----------------------------------------------------------------

def facility(fractions: Sequence[float]) -> float | None:
    """Mean mark fraction ×100; ``None`` without data."""
    if not fractions:
        return None
    return 100.0 * sum(fractions) / len(fractions)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r; ``None`` for fewer than two pairs or when either side has no spread."""
    n = len(xs)
    if n != len(ys) or n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return sxy / math.sqrt(sxx * syy)


def discrimination(item_marks: Sequence[float], totals: Sequence[float]) -> float | None:
    """Moodle's discrimination index: r(item mark, total − item mark) ×100."""
    rest = [total - mark for mark, total in zip(item_marks, totals, strict=True)]
    r = pearson(item_marks, rest)
    return None if r is None else 100.0 * r


def flags(facility_index: float | None, discrimination_index: float | None) -> list[str]:
    """Flag keys (see ``FLAG_LABELS``) for one item."""
    result = []
    if facility_index is not None:
        if facility_index > EASY:
            result.append("easy")
        elif facility_index < HARD:
            result.append("hard")
    if discrimination_index is not None:
        if discrimination_index < 0:
            result.append("negative")
        elif discrimination_index < WEAK:
            result.append("weak")
    return result


def _empty(response: Any) -> bool:
    return response is None or (isinstance(response, str | list) and not response) or (
        isinstance(response, str) and not response.strip())


def distribution(question: dict[str, Any], responses: Iterable[Any]) -> dict[str, Any]:
    """``{"options": {key: count}, "answers": [(text, count)], "unanswered": n}``.

    The type says what is counted (``distribution_keys``/``response_keys``):
    choice questions count each option key chosen (a multiple-choice response
    counts once per key it holds); judge keys are ``true``/``false``; blank
    questions list their most common normalized answers.
    """
    kind = get_type(question["type"])
    keys = kind.distribution_keys(question)
    unanswered = 0
    if keys is None:  # free text: count the answers given
        answers: Counter[str] = Counter()
        for response in responses:
            given = [] if _empty(response) else kind.response_keys(question, response)
            if not given:
                unanswered += 1
            answers.update(given)
        return {"options": {}, "answers": answers.most_common(TOP_ANSWERS),
                "unanswered": unanswered}
    counts = dict.fromkeys(keys, 0)
    for response in responses:
        if _empty(response):
            unanswered += 1
            continue
        for key in kind.response_keys(question, response):
            if key in counts:
                counts[key] += 1
    return {"options": counts, "answers": [], "unanswered": unanswered}


@dataclass(frozen=True)
class ItemRecord:
    """One item as one attempt met it: its mark, its points and the response."""

    attempt_id: int
    version_id: int
    mark: float
    points: float
    response: Any = None


@dataclass
class ItemStats:
    version_id: int
    question_id: str = ""
    stem: str = ""
    type: str = ""
    version: int = 1  # 1.. among this question's versions seen in the test
    n: int = 0
    facility: float | None = None
    discrimination: float | None = None
    distribution: dict[str, Any] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)

    @property
    def flag_labels(self) -> list[str]:
        return [FLAG_LABELS[f] for f in self.flags]


def analyse(records: Sequence[ItemRecord],
            questions: dict[int, dict[str, Any]] | None = None) -> list[ItemStats]:
    """Statistics per question version, in order of first appearance.

    ``questions`` maps a version id to its question data (type, options,
    stem) for the response distribution; without it only numbers are given.
    The total of an attempt is the sum of its records' marks.
    """
    questions = questions or {}
    totals: dict[int, float] = {}
    by_item: dict[int, list[ItemRecord]] = {}
    for record in records:
        totals[record.attempt_id] = totals.get(record.attempt_id, 0.0) + record.mark
        by_item.setdefault(record.version_id, []).append(record)
    result = []
    for version_id, items in by_item.items():
        marks = [r.mark for r in items]
        fractions = [r.mark / r.points if r.points else 0.0 for r in items]
        fac = facility(fractions)
        disc = discrimination(marks, [totals[r.attempt_id] for r in items])
        data = questions.get(version_id, {})
        stats = ItemStats(version_id=version_id, question_id=str(data.get("id", "")),
                          stem=str(data.get("stem", "")), type=str(data.get("type", "")),
                          n=len(items), facility=fac, discrimination=disc,
                          flags=flags(fac, disc))
        if data:
            stats.distribution = distribution(data, [r.response for r in items])
        result.append(stats)
    return result


# -- from the database --------------------------------------------------------------

def first_attempt_ids(session: Session, test_id: str) -> list[int]:
    return list(session.scalars(select(Attempt.id).where(
        Attempt.test_id == test_id, Attempt.number == 1, Attempt.status.in_(HANDED_IN))
        .order_by(Attempt.id)))


def first_attempt_counts(session: Session) -> dict[str, int]:
    """Test id → number of first attempts handed in."""
    rows = session.execute(select(Attempt.test_id, func.count()).where(
        Attempt.number == 1, Attempt.status.in_(HANDED_IN)).group_by(Attempt.test_id))
    return {test_id: count for test_id, count in rows}


def analyse_test(session: Session, test_id: str) -> list[ItemStats]:
    """Item statistics of a test from its first handed-in attempts.

    Each item is graded again by its type from the pinned version, as
    ``submit`` does, so marks and totals agree with the attempt's score.
    """
    attempt_ids = first_attempt_ids(session, test_id)
    if not attempt_ids:
        return []
    rows = session.execute(
        select(AttemptQuestion.attempt_id, AttemptQuestion.question_version_id,
               AttemptQuestion.points, AttemptAnswer.response)
        .outerjoin(AttemptAnswer, (AttemptAnswer.attempt_id == AttemptQuestion.attempt_id)
                   & (AttemptAnswer.position == AttemptQuestion.position))
        .where(AttemptQuestion.attempt_id.in_(attempt_ids))
        .order_by(AttemptQuestion.attempt_id, AttemptQuestion.position)).all()
    version_ids = sorted({row[1] for row in rows})
    versions = {v.id: v for v in session.scalars(
        select(QuestionVersion).where(QuestionVersion.id.in_(version_ids)))}
    questions = {vid: {**v.data, "id": v.question_id} for vid, v in versions.items()}
    records = []
    for attempt_id, version_id, points, response in rows:
        data = questions[version_id]
        fraction = get_type(data["type"]).grade(data, response)
        mark = (points * Decimal(str(fraction))).quantize(CENT, ROUND_HALF_UP)
        records.append(ItemRecord(attempt_id, version_id, float(mark), float(points), response))
    stats = analyse(records, questions)
    # Number the versions of each question by age (1 = the oldest seen here).
    seen: dict[str, list[int]] = {}
    for vid in version_ids:
        seen.setdefault(versions[vid].question_id, []).append(vid)
    for item in stats:
        item.version = seen[item.question_id].index(item.version_id) + 1
    stats.sort(key=lambda s: (s.question_id, s.version))
    return stats


def chart_bars(stats: Sequence[ItemStats], width: int = 400) -> list[dict[str, Any]]:
    """Horizontal bars of facility per item for the inline SVG chart."""
    bars = []
    for index, item in enumerate(stats):
        fac = item.facility or 0.0
        if "negative" in item.flags or "hard" in item.flags:
            colour = "#c62828"
        elif item.flags:
            colour = "#ef6c00"
        else:
            colour = "#2e7d32"
        bars.append({"y": index * 24, "width": round(width * fac / 100, 1), "colour": colour,
                     "label": f"{item.question_id} v{item.version}", "value": f"{fac:.1f}"})
    return bars
