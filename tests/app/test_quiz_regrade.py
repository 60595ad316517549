"""Regrading after a key is corrected: deliberate, recorded, never lowering a score."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from sqlalchemy import func, select

from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.models import (
    Attempt,
    AttemptQuestion,
    CreditEntry,
    QuestionVersion,
    Regrade,
    RegradeChange,
)
from learning_app.quiz.attempts import save_answer, start_attempt, submit
from learning_app.quiz.loader import load_quizzes
from learning_app.quiz.regrade import parse_answer, regrade
from learning_app.quiz.store import store
from tests.app.conftest import MakeMember

OPENS = dt.datetime(2026, 12, 1, 0, 0)  # naive UTC
NOW = dt.datetime(2026, 12, 2, 2, 0)


def bank(lead_key: str, *, with_right_option: bool = True) -> dict[str, Any]:
    """Five questions; q1 was keyed 县财政局 (wrong), the plan's answer is 县政府办."""
    lead = {"id": "q1", "type": "single", "stem": "经费投入机制由哪个单位牵头？",
            "options": {"A": "县财政局", "B": "县政府办" if with_right_option else "县委宣传部",
                        "C": "县纪委", "D": "县人社局"},
            "answer": lead_key, "explanation": "见《方案》四(二)。", "source": "《方案》四(二)",
            "shuffle": False}
    others = [{"id": f"q{n}", "type": "judge", "stem": f"第{n}题是对的。", "answer": True}
              for n in range(2, 6)]
    return {"bank": "rb", "title": "重评题库", "questions": [lead, *others]}


TEST = {"id": "half", "title": "半年测试", "opens": "2026-12-01T08:00:00+08:00",
        "closes": "2026-12-31T22:00:00+08:00", "time_limit_minutes": 30, "pass_score": 60,
        "attempts": 1, "credit_hours_on_pass": 2, "audience": "all", "review": "after_close",
        "sections": [{"bank": "rb", "count": 5, "points": 20}]}


def load(root: Path, data: dict[str, Any]) -> None:
    (root / "banks").mkdir(parents=True, exist_ok=True)
    (root / "tests").mkdir(exist_ok=True)
    (root / "banks/rb.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    (root / "tests/half.yaml").write_text(yaml.safe_dump(TEST, allow_unicode=True), "utf-8")
    store(db.session, load_quizzes(root))


def take(member, lead_answer: str | None, right_judges: int) -> Attempt:
    """An attempt answering q1 with ``lead_answer`` and ``right_judges`` judges right."""
    attempt = start_attempt(db.session, "half", member, OPENS + dt.timedelta(hours=1))
    rows = db.session.execute(
        select(AttemptQuestion.position, QuestionVersion.question_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
        .where(AttemptQuestion.attempt_id == attempt.id)).all()
    judged = 0
    for position, question_id in rows:
        if question_id == "q1":
            response: Any = lead_answer
        else:
            response = judged < right_judges
            judged += 1
        save_answer(db.session, attempt, position, response, OPENS + dt.timedelta(hours=1))
    return submit(db.session, attempt.id, OPENS + dt.timedelta(hours=1, minutes=5))[0]


def credits(member_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(CreditEntry).where(
        CreditEntry.member_id == member_id)) or 0


@pytest.fixture
def graded(ctx: Flask, tmp_path: Path, make_member: MakeMember) -> dict[str, Any]:
    """Members graded on the wrong key, then the bank corrected."""
    root = tmp_path / "quizzes"
    load(root, bank("A"))
    people = {name: make_member() for name in ("old_key", "right", "blank", "open")}
    graded = {
        "old_key": take(people["old_key"], "A", 2),  # 60: passed on the wrong key
        "right": take(people["right"], "B", 2),  # 40: failed for the right answer
        "blank": take(people["blank"], None, 4),  # 80
    }
    still_open = start_attempt(db.session, "half", people["open"], OPENS + dt.timedelta(hours=2))
    load(root, bank("B"))  # the corrected key: a new version; attempts keep theirs
    return {"root": root, "people": people, "attempts": graded, "open": still_open}


def test_an_attempt_keeps_its_version_until_someone_regrades(graded) -> None:
    attempts = graded["attempts"]
    assert [attempts[k].score for k in ("old_key", "right", "blank")] == [
        Decimal("60.00"), Decimal("40.00"), Decimal("80.00")]
    assert db.session.scalar(select(func.count()).select_from(QuestionVersion).where(
        QuestionVersion.question_id == "q1")) == 2


def test_a_second_key_raises_the_right_answers_and_keeps_the_old_ones(graded) -> None:
    people, attempts = graded["people"], graded["attempts"]
    assert credits(people["right"].id) == 0
    result = regrade(db.session, test_id="half", question_id="q1",
                     rule={"also_correct": "B"}, reason="原答案与《方案》四(二)不符",
                     by="县委组织部 张三", now=NOW)
    assert (result.attempts, result.raised, result.newly_passed) == (3, 1, 1)
    fresh = {k: db.session.get(Attempt, a.id, populate_existing=True)
             for k, a in attempts.items()}
    assert fresh["right"].score == Decimal("60.00") and fresh["right"].passed is True
    assert fresh["old_key"].score == Decimal("60.00") and fresh["old_key"].passed is True
    assert fresh["blank"].score == Decimal("80.00")
    assert credits(people["right"].id) == 1  # the 学时 of a pass, once
    [change] = db.session.scalars(select(RegradeChange)).all()
    assert (change.attempt_id, change.old_score, change.new_score, change.old_passed,
            change.new_passed) == (attempts["right"].id, Decimal("40.00"), Decimal("60.00"),
                                   False, True)
    record = db.session.scalar(select(Regrade))
    assert (record.reason, record.created_by, record.rule) == (
        "原答案与《方案》四(二)不符", "县委组织部 张三", {"also_correct": "B"})


def test_an_open_attempt_on_the_old_version_is_graded_with_the_rule(graded) -> None:
    regrade(db.session, test_id="half", question_id="q1", rule={"also_correct": "B"},
            reason="原答案与《方案》不符", by="张三", now=NOW)
    attempt = graded["open"]
    for position, question_id in db.session.execute(
            select(AttemptQuestion.position, QuestionVersion.question_id)
            .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
            .where(AttemptQuestion.attempt_id == attempt.id)).all():
        save_answer(db.session, attempt, position, "B" if question_id == "q1" else False,
                    OPENS + dt.timedelta(hours=2, minutes=1))
    done = submit(db.session, attempt.id, OPENS + dt.timedelta(hours=2, minutes=2))[0]
    assert done.score == Decimal("20.00")


def test_a_regrade_is_recorded_once_even_when_replayed(graded) -> None:
    regrade(db.session, test_id="half", question_id="q1", rule={"also_correct": "B"},
            reason="原答案与《方案》不符", by="张三", now=NOW)
    with pytest.raises(Refused) as caught:
        regrade(db.session, test_id="half", question_id="q1", rule={"void": True},
                reason="再来一次试试", by="李四", now=NOW)
    assert caught.value.status == 409
    assert db.session.scalar(select(func.count()).select_from(Regrade)) == 1
    assert db.session.scalar(select(func.count()).select_from(RegradeChange)) == 1


def test_parallel_regrades_record_one_and_raise_each_score_once(graded, app: Flask) -> None:
    right_id = graded["attempts"]["right"].id
    db.session.remove()
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def run(n: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                regrade(db.session, test_id="half", question_id="q1",
                        rule={"also_correct": "B"}, reason=f"并发重评第{n}次", by="张三", now=NOW)
                outcomes.append("done")
            except Refused as refused:
                outcomes.append(str(refused.status))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["409", "409", "409", "done"]
    assert db.session.scalar(select(func.count()).select_from(Regrade)) == 1
    assert db.session.scalar(select(func.count()).select_from(RegradeChange)) == 1
    assert db.session.get(Attempt, right_id).score == Decimal("60.00")
    assert db.session.scalar(select(func.count()).select_from(CreditEntry).where(
        CreditEntry.source_key == "test:half")) == 3  # the two passes, and right's once


def test_a_question_with_no_right_option_is_voided(ctx, tmp_path, make_member) -> None:
    root = tmp_path / "quizzes"
    load(root, bank("A", with_right_option=False))
    member = make_member()
    attempt = take(member, "C", 2)  # 40: q1 wrong, two judges right
    load(root, bank("B"))
    result = regrade(db.session, test_id="half", question_id="q1", rule={"void": True},
                     reason="本题没有正确选项", by="张三", now=NOW)
    assert (result.raised, result.newly_passed) == (1, 1)
    assert db.session.get(Attempt, attempt.id, populate_existing=True).score == Decimal("60.00")


@pytest.mark.parametrize("kwargs, status", [
    ({"reason": "  "}, 400),
    ({"test_id": "nope"}, 404),
    ({"rule": {"also_correct": "Z"}}, 400),
    ({"rule": {"lower": True}}, 400),
])
def test_bad_regrades_are_refused_and_write_nothing(graded, kwargs, status) -> None:
    args = {"test_id": "half", "question_id": "q1", "rule": {"also_correct": "B"},
            "reason": "原答案与《方案》不符", "by": "张三", "now": NOW, **kwargs}
    with pytest.raises(Refused) as caught:
        regrade(db.session, **args)
    assert caught.value.status == status
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Regrade)) == 0


def test_the_command_needs_a_reason_and_reports_what_it_changed(graded, app) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["regrade", "--test", "half", "--question", "q1",
                                 "--also-correct", "B", "--by", "张三"])
    assert result.exit_code != 0 and "--reason" in result.output
    result = runner.invoke(args=["regrade", "--test", "half", "--question", "q1",
                                 "--also-correct", "B", "--reason", "原答案与《方案》不符",
                                 "--by", "张三"])
    assert result.exit_code == 0, result.output
    assert "3 graded attempt(s), 1 raised, 1 newly passed" in result.output


def test_answers_typed_for_a_regrade_take_each_types_shape() -> None:
    assert parse_answer("single", " B ") == "B"
    assert parse_answer("multiple", "A, C") == ["A", "C"]
    assert parse_answer("judge", "False") is False
    assert parse_answer("blank", "县政府办|政府办") == ["县政府办", "政府办"]
