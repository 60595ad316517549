"""Demo exam history: members who already took the open half-yearly test.

Attempts are drawn and graded by the quiz engine's own ``draw``,
``score_attempt`` and ``passes``, so the demo's scores, item analysis and
participation figures are what real attempts would give. Rows are written in
bulk inside the demo's one transaction; nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from learning_app.credits.ledger import award
from learning_app.credits.sources import source_key
from learning_app.demo.people import Person
from learning_app.models import Attempt, AttemptAnswer, AttemptQuestion, QuizTest
from learning_app.models.types import TZ
from learning_app.quiz.attempts import definition, draw, passes, score_attempt, to_utc

DEMO_TEST_ID = "2026-H2"
TAKE_SHARE_REGULAR = 0.55  # by the history's last day, of members who study regularly
TAKE_SHARE_OTHERS = 0.15


@dataclass
class ExamResult:
    attempts: int = 0
    passed: int = 0


def _wrong(question: dict[str, Any], rng: random.Random) -> Any:
    """A plausible wrong response for the question's type."""
    kind, answer = question["type"], question["answer"]
    if kind == "judge":
        return not answer
    if kind == "blank":
        return "不清楚"
    keys = [str(key) for key in question["options"]]
    if kind == "single":
        return rng.choice([key for key in keys if key != answer])
    chosen = sorted(set(answer) ^ {rng.choice(keys)})  # one option too many or too few
    return chosen or [keys[0]]


def _response(question: dict[str, Any], skill: float, rng: random.Random) -> Any:
    if rng.random() < skill:
        answer = question["answer"]
        return answer[0] if question["type"] == "blank" else answer
    return _wrong(question, rng)


def take_demo_exam(session: Session, rng: random.Random, people: list[Person],
                   last_day: dt.date) -> ExamResult:
    """Attempts at ``DEMO_TEST_ID`` between its opening and ``last_day``."""
    result = ExamResult()
    test_row = session.get(QuizTest, DEMO_TEST_ID)
    if test_row is None:  # quizzes not loaded: the demo has no exam history
        return result
    test = definition(test_row)
    opens = to_utc(test.opens)
    assert opens is not None
    first_day = opens.replace(tzinfo=dt.UTC).astimezone(TZ).date()
    if last_day < first_day:
        return result
    days = (last_day - first_day).days + 1
    for person in people:
        if person.exempt_reason or person.demo == "demo-member":
            continue  # the demo member's own test is left for the visitor to take
        share = TAKE_SHARE_REGULAR if person.regular else TAKE_SHARE_OTHERS
        if rng.random() >= share:
            continue
        day = first_day + dt.timedelta(days=rng.randrange(days))
        local = dt.datetime.combine(day, dt.time(rng.randint(8, 21), rng.randrange(60)), TZ)
        started = local.astimezone(dt.UTC).replace(tzinfo=None)
        if started < opens:
            started = opens + dt.timedelta(minutes=rng.randrange(1, 240))
        submitted = started + dt.timedelta(minutes=rng.randint(6, 25))
        _one_attempt(session, rng, person, test, started, submitted, result)
    return result


def _one_attempt(session: Session, rng: random.Random, person: Person, test: Any,
                 started: dt.datetime, submitted: dt.datetime, result: ExamResult) -> None:
    seed = rng.getrandbits(48)
    questions = draw(session, test, seed, set())
    attempt = Attempt(test_id=DEMO_TEST_ID, member_id=person.id, number=1, seed=seed,
                      started_at=started,
                      deadline_at=started + dt.timedelta(minutes=test.time_limit_minutes),
                      status="submitted")
    session.add(attempt)
    session.flush()
    skill = rng.uniform(0.5, 0.95) if person.regular else rng.uniform(0.35, 0.8)
    rows, answers = [], []
    for position, (version, points, presented) in enumerate(questions, start=1):
        rows.append({"attempt_id": attempt.id, "position": position,
                     "question_version_id": version.id, "points": points,
                     "presented": presented})
        if rng.random() < 0.97:  # now and then a question is left blank
            answers.append({"attempt_id": attempt.id, "position": position,
                            "response": _response(version.data, skill, rng),
                            "saved_at": submitted})
    session.execute(insert(AttemptQuestion), rows)
    if answers:
        session.execute(insert(AttemptAnswer), answers)
    score, max_score = score_attempt(session, attempt.id)
    passed = passes(score, max_score, test.pass_score)
    session.execute(update(Attempt).where(Attempt.id == attempt.id).values(
        submitted_at=submitted, score=score, max_score=max_score, passed=passed,
        graded_at=submitted))
    result.attempts += 1
    if passed:
        result.passed += 1
        local_day = submitted.replace(tzinfo=dt.UTC).astimezone(TZ).date()
        org_id = person.org_on(local_day) or person.org.id
        award(session, member_id=person.id, org_id=org_id, source_type="test",
              source_key=source_key("test", DEMO_TEST_ID),
              hours=Decimal(str(test.credit_hours_on_pass)), earned_at=submitted,
              note=test.title[:200])
