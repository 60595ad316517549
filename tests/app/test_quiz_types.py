"""Question types: grading, partial credit, shuffling, rendering (no database)."""

from __future__ import annotations

import json
import random

import pytest

from learning_app.quiz.types import (
    QUESTION_TYPES,
    get_type,
    normalize,
    validate_question,
)

SINGLE = {"id": "pb-001", "type": "single", "stem": "“两不愁”是指？",
          "options": {"A": "不愁吃、不愁穿", "B": "不愁住、不愁行", "C": "不愁医、不愁学",
                      "D": "不愁工、不愁钱"},
          "answer": "A", "explanation": "不愁吃、不愁穿。", "tags": ["退出标准"]}
MULTIPLE = {"id": "pb-002", "type": "multiple", "stem": "“三保障”包括？",
            "options": {"A": "义务教育", "B": "基本医疗", "C": "住房安全", "D": "饮水安全",
                        "E": "稳定就业"},
            "answer": ["A", "B", "C"]}
JUDGE = {"id": "pb-003", "type": "judge", "stem": "贫困户退出以户为单位。", "answer": True}
BLANK = {"id": "pb-004", "type": "blank", "stem": "党员每年集中学习培训不少于____学时。",
         "answer": [32, "三十二"]}


def test_registry_has_the_four_types() -> None:
    assert set(QUESTION_TYPES) == {"single", "multiple", "judge", "blank"}
    assert get_type("single").label == "单选"
    with pytest.raises(KeyError):
        get_type("essay")


@pytest.mark.parametrize("question", [SINGLE, MULTIPLE, JUDGE, BLANK])
def test_valid_questions_have_no_problems(question: dict) -> None:
    assert validate_question(question) == []


def test_single_grading() -> None:
    single = get_type("single")
    assert single.grade(SINGLE, "A") == 1.0
    assert single.grade(SINGLE, "B") == 0.0
    assert single.grade(SINGLE, ["A"]) == 0.0
    assert single.grade(SINGLE, None) == 0.0


def test_multiple_all_or_nothing_by_default() -> None:
    multiple = get_type("multiple")
    assert multiple.grade(MULTIPLE, ["C", "A", "B"]) == 1.0
    assert multiple.grade(MULTIPLE, ["A", "B"]) == 0.0
    assert multiple.grade(MULTIPLE, ["A", "B", "C", "D"]) == 0.0
    assert multiple.grade(MULTIPLE, "A") == 0.0
    assert multiple.grade(MULTIPLE, 7) == 0.0


def test_multiple_partial_credit() -> None:
    question = {**MULTIPLE, "partial": True}
    grade = get_type("multiple").grade
    assert grade(question, ["A", "B", "C"]) == 1.0
    assert grade(question, ["A", "B"]) == pytest.approx(2 / 3)
    assert grade(question, ["A", "B", "D"]) == pytest.approx(1 / 3)  # (2 − 1) / 3
    assert grade(question, ["A", "D", "E"]) == 0.0  # (1 − 2) / 3 floored at 0
    assert grade(question, []) == 0.0


def test_judge_grading() -> None:
    judge = get_type("judge")
    assert judge.grade(JUDGE, True) == 1.0
    assert judge.grade(JUDGE, "true") == 1.0
    assert judge.grade(JUDGE, False) == 0.0
    assert judge.grade({**JUDGE, "answer": False}, "false") == 1.0
    assert judge.grade(JUDGE, 1) == 0.0


def test_blank_normalization() -> None:
    assert normalize("３２") == "32"
    assert normalize(" 精准 扶贫、精准脱贫。") == "精准扶贫精准脱贫"
    assert normalize("ＡＢＣ，def!") == "abcdef"
    blank = get_type("blank")
    for response in ("32", "３２", " 32 ", "32。", "三十二", "三 十 二，", 32):
        assert blank.grade(BLANK, response) == 1.0, response
    for response in ("33", "", "。", None, True, ["32"]):
        assert blank.grade(BLANK, response) == 0.0, response
    terms = {**BLANK, "answer": ["两不愁三保障"]}
    assert blank.grade(terms, "两不愁、三保障") == 1.0
    assert blank.grade(terms, "“两不愁，三保障”") == 1.0


def test_shuffle_is_deterministic_for_a_seed() -> None:
    single = get_type("single")
    first = single.shuffle(SINGLE, random.Random(42))
    assert first == single.shuffle(SINGLE, random.Random(42))
    assert sorted(first) == ["A", "B", "C", "D"]
    orders = {tuple(single.shuffle(SINGLE, random.Random(seed))) for seed in range(30)}
    assert len(orders) > 1


def test_shuffle_false_keeps_the_bank_order() -> None:
    question = {**MULTIPLE, "shuffle": False}
    for seed in range(10):
        assert get_type("multiple").shuffle(question, random.Random(seed)) == list("ABCDE")
    assert get_type("judge").shuffle(JUDGE, random.Random(1)) == ["true", "false"]
    assert get_type("blank").shuffle(BLANK, random.Random(1)) == []


@pytest.mark.parametrize("question", [SINGLE, MULTIPLE, JUDGE, BLANK])
def test_render_never_contains_the_answer(question: dict) -> None:
    kind = get_type(question["type"])
    order = kind.shuffle(question, random.Random(7))
    shown = kind.render(question, order)
    assert set(shown) == {"id", "type", "stem", "options"}
    assert [o["key"] for o in shown["options"]] == order
    text = json.dumps(shown, ensure_ascii=False)
    assert "answer" not in text and "explanation" not in text
    if question["type"] == "blank":
        assert "三十二" not in text and "32" not in text


def test_render_judge_options() -> None:
    shown = get_type("judge").render(JUDGE)
    assert shown["options"] == [{"key": "true", "text": "正确"}, {"key": "false", "text": "错误"}]


@pytest.mark.parametrize(("question", "field", "expected"), [
    ({**SINGLE, "answer": "E"}, "answer", "one of the options A, B, C, D"),
    ({**SINGLE, "type": "essay"}, "type", "one of single"),
    ({k: v for k, v in SINGLE.items() if k != "stem"}, "stem", "required"),
    ({k: v for k, v in SINGLE.items() if k != "options"}, "options", "required"),
    ({**MULTIPLE, "answer": ["A", "F"]}, "answer", "a list of two or more of the options"),
    ({**MULTIPLE, "partial": "yes"}, "partial", "true or false"),
    ({**SINGLE, "partial": True}, "partial", "a known key"),
    ({**JUDGE, "answer": "对"}, "answer", "true or false"),
    ({**BLANK, "answer": "32"}, "answer", "a list of accepted answers"),
    ({**BLANK, "answer": ["。"]}, "answer", "answers with letters or digits"),
    ({**SINGLE, "tags": "退出标准"}, "tags", "a list"),
])
def test_validation_problems(question: dict, field: str, expected: str) -> None:
    problems = validate_question(question)
    assert [p.field for p in problems] == [field]
    assert expected in problems[0].expected
