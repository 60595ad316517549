"""A new question type is one class (plus one renderer entry in exam.js).

A throwaway 排序 "ordering" type, defined and registered here, goes through
the loader, grading, the Excel sheet, the 错题本 text, item analysis and a
regrade's typed key without any other file knowing about it. The fixture puts
the registry back as it was, so other tests never see the type.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from flask import Flask
from openpyxl import Workbook

from learning_app.errors import Refused, SheetRejected
from learning_app.extensions import db
from learning_app.models.types import utcnow
from learning_app.quiz.analysis import analyse_test, distribution
from learning_app.quiz.attempts import save_answer, start_attempt, submit
from learning_app.quiz.excel import COLUMNS, read_bank_sheet, write_bank_sheet
from learning_app.quiz.grading import graded_fraction
from learning_app.quiz.loader import QuizError, load_quizzes
from learning_app.quiz.regrade import parse_answer
from learning_app.quiz.store import store
from learning_app.quiz.types import (
    QUESTION_TYPES,
    Problem,
    QuestionType,
    get_type,
    register,
    validate_question,
)
from learning_app.quiz.wrong_book import wrong_book
from tests.app.conftest import MakeMember

EXAM_JS = Path(__file__).resolve().parents[2] / "learning_app/static/exam.js"

QUESTION: dict[str, Any] = {
    "id": "ord-001", "type": "ordering", "stem": "按时间先后排列：",
    "options": {"A": "脱贫攻坚", "B": "精准扶贫提出", "C": "乡村振兴"},
    "answer": ["B", "A", "C"], "explanation": "先提出精准扶贫，再打赢脱贫攻坚。",
}
BANK: dict[str, Any] = {"bank": "order-bank", "title": "排序题库", "questions": [QUESTION]}
PRACTICE: dict[str, Any] = {"id": "order-drill", "title": "排序练习", "practice": True,
                            "sections": [{"bank": "order-bank", "count": 1, "points": 10,
                                          "types": ["ordering"]}]}


@pytest.fixture
def ordering(request: pytest.FixtureRequest) -> type[QuestionType]:
    before = dict(QUESTION_TYPES)

    def restore() -> None:
        QUESTION_TYPES.clear()
        QUESTION_TYPES.update(before)

    request.addfinalizer(restore)

    @register
    class Ordering(QuestionType):
        """排序: put every option in order; the answer lists the keys first to last."""

        name = "ordering"
        label = "排序"
        fields: ClassVar[tuple[str, ...]] = ("options", "answer", "shuffle")

        @classmethod
        def validate_answer(cls, question: dict[str, Any]) -> list[Problem]:
            options = question.get("options")
            if not isinstance(options, dict) or len(options) < 2:
                return [Problem("options", "a mapping of at least two option keys to texts")]
            answer = question.get("answer")
            if not isinstance(answer, list) or sorted(map(str, answer)) != sorted(options):
                return [Problem("answer", "every option key once, in order, e.g. [B, A, C]")]
            return []

        @classmethod
        def valid_response(cls, presented: dict[str, Any], response: Any) -> bool:
            keys = sorted(str(option["key"]) for option in presented.get("options") or [])
            return response is None or (isinstance(response, list)
                                        and all(isinstance(key, str) for key in response)
                                        and sorted(response) == keys)

        @classmethod
        def grade(cls, question: dict[str, Any], response: Any) -> float:
            return 1.0 if response == question["answer"] else 0.0

        @classmethod
        def answer_text(cls, presented: dict[str, Any], value: Any) -> str:
            texts = {str(o["key"]): o["text"] for o in presented.get("options") or []}
            return " → ".join(f"{key}. {texts.get(str(key), '')}" for key in value)

        @classmethod
        def parse_typed(cls, text: str) -> Any:
            return [part.strip() for part in text.split(",") if part.strip()]

        @classmethod
        def answer_from_sheet(cls, text: str, options: dict[str, str]
                              ) -> tuple[Any, str | None]:
            keys = list(re.sub(r"[\s,，、]", "", text.upper()))
            if sorted(keys) != sorted(options):
                return keys, "每个选项字母各一次，按正确顺序，如 BAC"
            return keys, None

        @classmethod
        def answer_to_sheet(cls, answer: Any) -> str:
            return "".join(answer)

        @classmethod
        def response_keys(cls, question: dict[str, Any], response: Any) -> list[str]:
            # Which option members put first: where the order goes wrong most often.
            return [str(response[0])] if isinstance(response, list) and response else []

    return Ordering


def write_quizzes(root: Path, bank: dict[str, Any] = BANK) -> Path:
    # A practice set draws only from a practice bank (contract 4, bank visibility).
    practice_bank = {**bank, "use": "practice"}
    for rel, data in (("banks/order-bank.yaml", practice_bank),
                      ("tests/order-drill.yaml", PRACTICE)):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return root


def test_a_registered_type_is_validated_by_the_loader(ordering: type[QuestionType],
                                                      tmp_path: Path) -> None:
    assert get_type("ordering") is ordering
    loaded = load_quizzes(write_quizzes(tmp_path / "quizzes"))
    assert loaded.banks["order-bank"].questions == [QUESTION]
    assert loaded.tests["order-drill"].sections[0].types == ["ordering"]
    bad = {**BANK, "questions": [{**QUESTION, "answer": ["A", "B"]}]}
    with pytest.raises(QuizError) as error:
        load_quizzes(write_quizzes(tmp_path / "bad", bad))
    assert any("ord-001: answer: every option key once" in str(p)
               for p in error.value.problems), error.value.problems
    assert validate_question({**QUESTION, "partial": True})[0].field == "partial"


def test_it_grades_and_takes_a_second_key(ordering: type[QuestionType]) -> None:
    assert graded_fraction(QUESTION, ["B", "A", "C"]) == 1.0
    assert graded_fraction(QUESTION, ["A", "B", "C"]) == 0.0
    also = parse_answer("ordering", " A, B ,C ")
    assert also == ["A", "B", "C"]
    assert graded_fraction(QUESTION, ["A", "B", "C"], {"also_correct": also}) == 1.0


def test_it_round_trips_through_the_excel_sheet(ordering: type[QuestionType],
                                                tmp_path: Path) -> None:
    path = tmp_path / "order.xlsx"
    write_bank_sheet(BANK, path)
    assert read_bank_sheet(path, BANK["bank"], BANK["title"]) == BANK
    # 排序题 is read as well as 排序, and the type speaks in the sheet's problems.
    workbook = Workbook()
    workbook.active.append(COLUMNS)
    cells = {"题型": "排序题", "题干": "x", "选项A": "甲", "选项B": "乙", "答案": "BA"}
    workbook.active.append([cells.get(column, "") for column in COLUMNS])
    workbook.active.append([{**cells, "答案": "B"}.get(column, "") for column in COLUMNS])
    workbook.active.append([{**cells, "题型": "问答"}.get(column, "") for column in COLUMNS])
    workbook.save(path)
    with pytest.raises(SheetRejected) as error:
        read_bank_sheet(path, "b", "t")
    assert [str(p) for p in error.value.problems] == [
        "第3行 答案：每个选项字母各一次，按正确顺序，如 BAC",
        "第4行 题型：单选、多选、判断、填空或排序",
    ]


def test_it_shows_its_answer_and_counts_its_distribution(ordering: type[QuestionType]) -> None:
    presented = ordering.render(QUESTION, ordering.shuffle(QUESTION, random.Random(7)))
    assert "answer" not in presented and presented["type"] == "ordering"
    assert ordering.answer_text(presented, ["B", "A", "C"]) == (
        "B. 精准扶贫提出 → A. 脱贫攻坚 → C. 乡村振兴")
    counted = distribution(QUESTION, [["B", "A", "C"], ["A", "B", "C"], ["B", "C", "A"], None])
    assert counted == {"options": {"A": 1, "B": 2, "C": 0}, "answers": [], "unanswered": 1}


def test_the_engine_runs_it_end_to_end(ordering: type[QuestionType], ctx: Flask,
                                       tmp_path: Path, make_member: MakeMember) -> None:
    """Drawn into an attempt, saved, graded, in the 错题本 and the item analysis."""
    store(db.session, load_quizzes(write_quizzes(tmp_path / "quizzes")))
    member = make_member()
    now = utcnow()
    attempt = start_attempt(db.session, "order-drill", member, now)
    with pytest.raises(Refused, match="答案格式不正确"):
        save_answer(db.session, attempt, 1, "A", now)  # not this type's shape
    save_answer(db.session, attempt, 1, ["A", "B", "C"], now)
    submit(db.session, attempt.id, now)
    [item] = wrong_book(db.session, member.id, now)
    assert item["response_text"] == "A. 脱贫攻坚 → B. 精准扶贫提出 → C. 乡村振兴"
    assert item["answer_text"] == "B. 精准扶贫提出 → A. 脱贫攻坚 → C. 乡村振兴"
    [stats] = analyse_test(db.session, "order-drill")
    assert stats.type == "ordering" and stats.facility == 0.0
    assert stats.distribution["options"] == {"A": 1, "B": 0, "C": 0}


def test_the_fixture_leaves_the_registry_as_it_was() -> None:
    # Runs after the tests above registered the type.
    assert "ordering" not in QUESTION_TYPES
    assert all(name in QUESTION_TYPES for name in ("single", "multiple", "judge", "blank"))


# -- the browser's half: exam.js ------------------------------------------------------

def _renderer_map(source: str) -> tuple[str, str]:
    """(the RENDERERS map, the rest of exam.js)."""
    start = source.index("var RENDERERS = {")
    end = source.index("\n  };\n", start) + len("\n  };\n")
    return source[start:end], source[:start] + source[end:]


def test_exam_js_has_one_renderer_per_type_and_no_type_branches() -> None:
    renderers, rest = _renderer_map(EXAM_JS.read_text(encoding="utf-8"))
    entries = re.findall(r"^ {4}(\w+): \{$", renderers, flags=re.MULTILINE)
    assert entries == list(QUESTION_TYPES)
    assert re.findall(r"\.type\s*[!=]=", rest) == []
    names = "|".join(QUESTION_TYPES)
    assert re.findall(rf"[\"'](?:{names})[\"']", rest) == []  # nor switch/case on them
