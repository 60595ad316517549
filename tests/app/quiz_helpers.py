"""Quiz test data shared by the quiz tests (app and browser): banks, tests, loaders.

``BANK`` (exam bank ``tb``) with the ``LIVE`` test and ``PRACTICE_BANK``
(practice bank ``pr``) with the ``PRACTICE`` set, written and stored by
``load``; ``correct`` gives an attempt's right responses. The item analysis
data (bank ``ab``, test ``ana``) is stored by ``load_exam``. A practice set
draws only from a practice bank and a test only from exam banks (contract 4,
bank visibility), so practice never hands out a test's key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from learning_app.extensions import db
from learning_app.models import AttemptQuestion, QuestionVersion
from learning_app.quiz.loader import load_quizzes
from learning_app.quiz.store import store

# -- bank "tb" and the tests drawn from it ----------------------------------------------


def _single(n: int, answer: str) -> dict[str, Any]:
    return {"id": f"s{n:02d}", "type": "single", "stem": f"单选题{n}？",
            "options": {"A": f"甲{n}", "B": f"乙{n}", "C": f"丙{n}", "D": f"丁{n}"},
            "answer": answer, "explanation": f"解析单选{n}号"}


BANK = {
    "bank": "tb",
    "title": "测试题库",
    "questions": [_single(n, "ABCD"[n % 4]) for n in range(1, 9)] + [
        {"id": "j01", "type": "judge", "stem": "判断题一。", "answer": True,
         "explanation": "解析判断一号"},
        {"id": "j02", "type": "judge", "stem": "判断题二。", "answer": False,
         "explanation": "解析判断二号"},
        {"id": "m01", "type": "multiple", "stem": "多选题一？",
         "options": {"A": "多甲", "B": "多乙", "C": "多丙", "D": "多丁"}, "answer": ["A", "C"],
         "explanation": "解析多选一号"},
        {"id": "b01", "type": "blank", "stem": "每年不少于____学时。",
         "answer": ["三十二学时整"], "explanation": "解析填空一号"},
    ],
}

LIVE = {  # open now, whatever the real clock says
    "id": "live", "title": "在线测试",
    "opens": "2000-01-01T00:00:00+08:00", "closes": "2099-12-31T22:00:00+08:00",
    "time_limit_minutes": 30, "pass_score": 60, "attempts": 1, "credit_hours_on_pass": 1,
    "review": "after_submit",
    "sections": [{"bank": "tb", "count": 2, "points": 20, "types": ["single"]},
                 {"bank": "tb", "count": 1, "points": 20, "types": ["judge"]},
                 {"bank": "tb", "count": 1, "points": 20, "types": ["multiple"]},
                 {"bank": "tb", "count": 1, "points": 20, "types": ["blank"]}],
}
PRACTICE_BANK = {  # its own questions (new ids): never the tests' bank
    "bank": "pr", "title": "练习题库", "use": "practice",
    "questions": [{**_single(n, "ABCD"[n % 4]), "id": f"p{n:02d}", "stem": f"练习单选题{n}？",
                   "explanation": f"解析练习{n}号"} for n in range(1, 6)],
}
PRACTICE = {"id": "drill", "title": "练习", "practice": True, "credit_hours_on_pass": 1,
            "sections": [{"bank": "pr", "count": 3, "points": 1, "types": ["single"]}]}


def load(root: Path, *tests: dict[str, Any]) -> None:
    """Write ``BANK``, ``PRACTICE_BANK`` and ``tests`` as quiz files under ``root`` and
    store them."""
    (root / "banks").mkdir(parents=True, exist_ok=True)
    (root / "tests").mkdir(exist_ok=True)
    (root / "banks" / "tb.yaml").write_text(yaml.safe_dump(BANK, allow_unicode=True), "utf-8")
    (root / "banks" / "pr.yaml").write_text(
        yaml.safe_dump(PRACTICE_BANK, allow_unicode=True), "utf-8")
    for test in tests:
        (root / "tests" / f"{test['id']}.yaml").write_text(
            yaml.safe_dump(test, allow_unicode=True), "utf-8")
    store(db.session, load_quizzes(root))


def correct(attempt_id: int) -> dict[int, Any]:
    """The right response per position, from the pinned versions."""
    rows = db.session.execute(
        select(AttemptQuestion.position, QuestionVersion.data)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
        .where(AttemptQuestion.attempt_id == attempt_id)).all()
    result: dict[int, Any] = {}
    for position, data in rows:
        answer = data["answer"]
        result[position] = answer[0] if data["type"] == "blank" else answer
    return result


# -- item analysis: bank "ab" and test "ana" ----------------------------------------------

ANALYSIS_BANK = {"bank": "ab", "title": "分析题库", "questions": [
    {"id": f"q{n}", "type": "single", "stem": f"第{n}题题干内容？",
     "options": {"A": "甲", "B": "乙", "C": "丙", "D": "丁"}, "answer": "ABCA"[n - 1]}
    for n in (1, 2, 3, 4)]}
ANALYSIS_EXAM = {"id": "ana", "title": "分析测试", "opens": "2000-01-01T00:00:00+08:00",
                 "closes": "2099-12-31T22:00:00+08:00", "time_limit_minutes": 30,
                 "pass_score": 60, "attempts": 2, "credit_hours_on_pass": 0, "audience": "all",
                 "review": "after_submit", "sections": [{"bank": "ab", "count": 4, "points": 25}]}


def load_exam(root: Path) -> None:
    """Write and store ``ANALYSIS_BANK`` and the test ``ana`` drawn from it."""
    (root / "banks").mkdir(parents=True, exist_ok=True)
    (root / "tests").mkdir(exist_ok=True)
    (root / "banks" / "ab.yaml").write_text(
        yaml.safe_dump(ANALYSIS_BANK, allow_unicode=True), "utf-8")
    (root / "tests" / "ana.yaml").write_text(
        yaml.safe_dump(ANALYSIS_EXAM, allow_unicode=True), "utf-8")
    store(db.session, load_quizzes(root))
