"""Loading quizzes/: validation with file:line, versioning, the all-or-nothing CLI."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.models import QuestionVersion, QuizBank, QuizTest
from learning_app.quiz.loader import QuizError, load_quizzes
from learning_app.quiz.store import content_hash, store
from site_builder import plan_facts

BANK = """\
bank: poverty-basics
title: 脱贫攻坚基础知识
questions:
  - id: pb-001
    type: single
    stem: "“两不愁三保障”中的“两不愁”是指？"
    options: {A: 不愁吃、不愁穿, B: 不愁住、不愁行, C: 不愁医、不愁学, D: 不愁工、不愁钱}
    answer: A
    explanation: 不愁吃、不愁穿。
    tags: [退出标准]
  - id: pb-002
    type: multiple
    stem: "“三保障”包括？"
    options: {A: 义务教育, B: 基本医疗, C: 住房安全, D: 饮水安全}
    answer: [A, B, C]
    partial: true
  - id: pb-003
    type: judge
    stem: 贫困户退出以户为单位。
    answer: true
    tags: [退出标准]
  - id: pb-004
    type: blank
    stem: 党员每年集中学习培训不少于____学时。
    answer: [32, 三十二]
"""

PARTY = """\
bank: party-building
title: 党建知识
questions:
  - id: dj-001
    type: judge
    stem: 党员每年学习培训不少于32学时。
    answer: true
  - id: dj-002
    type: single
    stem: 1学时是多少分钟？
    options: {A: "40", B: "45", C: "60"}
    answer: B
    shuffle: false
"""

TEST = """\
id: 2026-H2
title: 2026年下半年脱贫攻坚知识测试
opens: 2026-12-01T08:00:00+08:00
closes: 2026-12-31T22:00:00+08:00
time_limit_minutes: 30
pass_score: 60
attempts: 1
credit_hours_on_pass: 2
audience: all
sections:
  - {bank: poverty-basics, count: 2, points: 25, types: [single, judge]}
  - {bank: party-building, count: 2, points: 25}
review: after_close
"""

# Practice has its own bank (use: practice): a practice set may not draw from a
# test's bank, nor a test from a practice bank (contract 4, bank visibility).
DRILL = """\
bank: basics-drill
title: 基础知识练习题库
use: practice
questions:
  - id: bd-001
    type: judge
    stem: 贫困户退出要经过民主评议。
    answer: true
    tags: [退出标准]
  - id: bd-002
    type: judge
    stem: 贫困村退出以村为单位。
    answer: true
    tags: [退出标准]
  - id: bd-003
    type: single
    stem: 党员应当按期交纳什么？
    options: {A: 党费, B: 会费, C: 学费}
    answer: A
  - id: bd-004
    type: blank
    stem: 1学时是____分钟。
    answer: [45, 四十五]
"""

PRACTICE = """\
id: practice-basics
title: 基础知识练习
practice: true
sections:
  - {bank: basics-drill, count: 4, points: 1}
"""


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def quizzes(tmp_path: Path) -> Path:
    root = tmp_path / "quizzes"
    write(root, "banks/poverty-basics.yaml", BANK)
    write(root, "banks/party-building.yaml", PARTY)
    write(root, "banks/basics-drill.yaml", DRILL)
    write(root, "tests/2026-H2.yaml", TEST)
    write(root, "tests/practice-basics.yaml", PRACTICE)
    return root


def problems_of(root: Path) -> list[str]:
    with pytest.raises(QuizError) as info:
        load_quizzes(root)
    return [str(p) for p in info.value.problems]


def test_a_good_directory_loads(quizzes: Path) -> None:
    loaded = load_quizzes(quizzes)
    assert set(loaded.banks) == {"poverty-basics", "party-building", "basics-drill"}
    assert loaded.question_count == 10
    assert loaded.banks["basics-drill"].use == "practice"
    assert loaded.banks["poverty-basics"].use == "exam"  # the default
    test = loaded.tests["2026-H2"]
    assert test.opens is not None and test.opens.utcoffset() is not None
    assert test.review_policy == "after_close"
    practice = loaded.tests["practice-basics"]
    assert practice.practice and practice.opens is None and practice.attempts is None
    assert practice.review_policy == "after_submit"


def test_answer_not_among_options(quizzes: Path) -> None:
    write(quizzes, "banks/poverty-basics.yaml", BANK.replace("    answer: A\n", "    answer: E\n"))
    assert problems_of(quizzes) == [
        "banks/poverty-basics.yaml:8: pb-001: answer: one of the options A, B, C, D"]


def test_unknown_type(quizzes: Path) -> None:
    write(quizzes, "banks/poverty-basics.yaml", BANK.replace("type: judge", "type: truefalse"))
    [problem] = problems_of(quizzes)
    assert problem.startswith("banks/poverty-basics.yaml:18: pb-003: type: one of single (单选)")


def test_missing_fields(quizzes: Path) -> None:
    text = (BANK.replace('    stem: "“三保障”包括？"\n', "")
            .replace("    answer: [32, 三十二]\n", ""))
    write(quizzes, "banks/poverty-basics.yaml", text)
    assert problems_of(quizzes) == [
        "banks/poverty-basics.yaml:11: pb-002: stem: required: the question text",
        "banks/poverty-basics.yaml:21: pb-004: answer: required: a list of accepted answers, "
        "e.g. [32, 三十二]",
    ]


def test_missing_bank_keys(quizzes: Path) -> None:
    write(quizzes, "banks/party-building.yaml", "bank: party-building\nquestion: []\n")
    problems = problems_of(quizzes)
    assert ("banks/party-building.yaml:2: question: a known key: bank, title, about, use, "
            "questions"
            in problems)
    assert "banks/party-building.yaml:1: title: required: the bank's title" in problems
    assert "banks/party-building.yaml:1: questions: required: a list of questions" in problems
    # The test's section on the broken bank is not also called "unknown".
    assert not any("tests/" in p for p in problems)


def test_duplicate_question_id_across_banks(quizzes: Path) -> None:
    write(quizzes, "banks/party-building.yaml", PARTY.replace("id: dj-002", "id: pb-001"))
    # Files are read in name order: party-building.yaml comes first.
    assert problems_of(quizzes) == [
        "banks/poverty-basics.yaml:4: pb-001: id: a unique question id "
        "(also at banks/party-building.yaml:8)"]


def test_section_asks_for_more_than_the_bank_has(quizzes: Path) -> None:
    write(quizzes, "tests/2026-H2.yaml", TEST.replace("count: 2, points: 25, types",
                                                      "count: 3, points: 25, types")
          .replace("{bank: party-building, count: 2, points: 25}",
                   "{bank: party-building, count: 1, points: 25}"))
    assert problems_of(quizzes) == [
        "tests/2026-H2.yaml:11: 2026-H2: sections[1].count: at most 2: bank poverty-basics "
        "has 2 question(s) of types single, judge"]


def test_section_by_tags(quizzes: Path) -> None:
    write(quizzes, "tests/practice-basics.yaml",
          PRACTICE.replace("count: 4, points: 1", "count: 3, points: 1, tags: [退出标准]"))
    assert problems_of(quizzes) == [
        "tests/practice-basics.yaml:5: practice-basics: sections[1].count: at most 2: "
        "bank basics-drill has 2 question(s) of tags 退出标准"]


def test_unknown_bank(quizzes: Path) -> None:
    write(quizzes, "tests/2026-H2.yaml", TEST.replace("{bank: party-building",
                                                      "{bank: party-buiding"))
    assert problems_of(quizzes) == [
        "tests/2026-H2.yaml:12: 2026-H2: sections[2].bank: a known bank "
        "(party-building, poverty-basics)"]


def test_points_must_total_100(quizzes: Path) -> None:
    write(quizzes, "tests/2026-H2.yaml", TEST.replace("count: 2, points: 25}",
                                                      "count: 2, points: 20}"))
    assert problems_of(quizzes) == [
        "tests/2026-H2.yaml:10: 2026-H2: sections: points adding up to 100 "
        "(count × points gives 90)"]


def test_opens_after_closes(quizzes: Path) -> None:
    write(quizzes, "tests/2026-H2.yaml", TEST.replace("opens: 2026-12-01", "opens: 2027-01-01"))
    assert problems_of(quizzes) == [
        "tests/2026-H2.yaml:4: 2026-H2: closes: a time after opens (2027-01-01T08:00:00+08:00)"]


def test_test_fields_are_checked(quizzes: Path) -> None:
    text = (TEST.replace("time_limit_minutes: 30\n", "")
            .replace("review: after_close", "review: sometime")
            .replace("audience: all", "audience: all\nshow_answers: true")
            .replace("count: 2, points: 25}", "count: zwei, points: 25}"))
    write(quizzes, "tests/2026-H2.yaml", text)
    problems = problems_of(quizzes)
    assert problems == [
        "tests/2026-H2.yaml:9: 2026-H2: show_answers: a known key (unknown key)",
        "tests/2026-H2.yaml:12: 2026-H2: sections[2].count: a whole number of questions, "
        "at least 1",
        "tests/2026-H2.yaml:13: 2026-H2: review: one of after_submit, after_close, never",
    ]


def test_non_practice_needs_window_limit_and_attempts(quizzes: Path) -> None:
    write(quizzes, "tests/practice-basics.yaml",
          PRACTICE.replace("practice: true\n", "").replace("points: 1}", "points: 25}"))
    problems = problems_of(quizzes)
    assert [p.split(": ")[2] for p in problems] == [
        "attempts", "closes", "opens", "time_limit_minutes"]
    assert all(p.startswith("tests/practice-basics.yaml:1: practice-basics: ") for p in problems)


def test_all_problems_are_reported_together(quizzes: Path) -> None:
    write(quizzes, "banks/poverty-basics.yaml", BANK.replace("answer: A", "answer: E")
          .replace("type: judge", "type: truefalse"))
    write(quizzes, "tests/2026-H2.yaml", TEST.replace("opens: 2026-12-01", "opens: 2027-01-01"))
    write(quizzes, "tests/broken.yaml", "id: broken\ntitle: [unclosed\n")
    problems = problems_of(quizzes)
    assert len(problems) == 4
    assert problems[-1].startswith("tests/broken.yaml:3: yaml: valid YAML")


def test_timezone_required(quizzes: Path) -> None:
    write(quizzes, "tests/2026-H2.yaml", TEST.replace("2026-12-01T08:00:00+08:00",
                                                      "2026-12-01T08:00:00"))
    assert problems_of(quizzes) == [
        "tests/2026-H2.yaml:3: 2026-H2: opens: a date-time with offset, "
        "e.g. 2026-12-01T08:00:00+08:00"]


# -- bank use: practice banks and exam banks never mix (contract 4, bank visibility) -----

def test_a_practice_set_may_not_draw_from_an_exam_bank(quizzes: Path) -> None:
    # Practice gives the key after each answer: drawing on the test's bank would hand it out.
    write(quizzes, "tests/practice-basics.yaml",
          PRACTICE.replace("bank: basics-drill, count: 4", "bank: poverty-basics, count: 4"))
    assert problems_of(quizzes) == [
        "tests/practice-basics.yaml:5: practice-basics: sections[1].bank: a practice bank "
        "(use: practice): poverty-basics is an exam bank (考试题库), and practice feedback "
        "would hand out its keys"]


def test_a_test_may_not_draw_from_a_practice_bank(quizzes: Path) -> None:
    write(quizzes, "tests/2026-H2.yaml", TEST.replace("{bank: party-building, count: 2",
                                                      "{bank: basics-drill, count: 2"))
    assert problems_of(quizzes) == [
        "tests/2026-H2.yaml:12: 2026-H2: sections[2].bank: an exam bank (use: exam): "
        "basics-drill is a practice bank (练习题库), whose keys practice hands out"]


def test_a_bank_is_for_practice_or_for_exams(quizzes: Path) -> None:
    write(quizzes, "banks/party-building.yaml",
          PARTY.replace("title: 党建知识\n", "title: 党建知识\nuse: both\n"))
    assert problems_of(quizzes) == [
        "banks/party-building.yaml:3: use: practice (练习题库) or exam (考试题库, the default)"]


def test_the_real_quizzes_load_and_keep_practice_apart_from_tests() -> None:
    root = Path(__file__).resolve().parents[2]
    loaded = load_quizzes(root / "quizzes", plan_facts.load(root / "content"))
    practice = {s.bank for t in loaded.tests.values() if t.practice for s in t.sections}
    exams = {s.bank for t in loaded.tests.values() if not t.practice for s in t.sections}
    assert practice and exams and not practice & exams
    assert all(loaded.banks[b].use == "practice" for b in practice)
    assert {"2026-H2", "2027-H1", "practice-basics"} <= set(loaded.tests)
    # No practice question repeats an exam question's stem under another id.
    stems = {q["stem"] for b in exams for q in loaded.banks[b].questions}
    assert not any(q["stem"] in stems for b in practice for q in loaded.banks[b].questions)


# -- versioning and the database ------------------------------------------------

def versions() -> dict[str, int]:
    rows = db.session.execute(select(QuestionVersion.question_id, func.count())
                              .group_by(QuestionVersion.question_id))
    return {row[0]: row[1] for row in rows}


def test_content_hash_ignores_defaults_and_key_order() -> None:
    question = {"id": "x", "type": "single", "stem": "s", "options": {"A": "a", "B": "b"},
                "answer": "A"}
    explicit = {"answer": "A", "shuffle": True, "partial": False, "tags": [], **question}
    assert content_hash(question) == content_hash(explicit)
    assert content_hash(question) != content_hash({**question, "stem": "s2"})
    assert content_hash(question) != content_hash({**question, "shuffle": False})


def test_store_versions_by_content(ctx: Flask, quizzes: Path) -> None:
    first = store(db.session, load_quizzes(quizzes))
    assert (first.banks, first.tests, first.questions, first.new_versions) == (3, 2, 10, 10)
    again = store(db.session, load_quizzes(quizzes))
    assert again.new_versions == 0
    assert sum(versions().values()) == 10

    write(quizzes, "banks/poverty-basics.yaml",
          BANK.replace("贫困户退出以户为单位。", "贫困户退出以户为单位，由村民评议。"))
    edited = store(db.session, load_quizzes(quizzes))
    assert edited.new_versions == 1
    assert versions() == {"pb-001": 1, "pb-002": 1, "pb-003": 2, "pb-004": 1,
                          "dj-001": 1, "dj-002": 1,
                          "bd-001": 1, "bd-002": 1, "bd-003": 1, "bd-004": 1}
    bank = db.session.get(QuizBank, "poverty-basics")
    assert bank is not None
    current = {q["id"]: q["hash"] for q in bank.definition["questions"]}
    newest = db.session.scalars(select(QuestionVersion).where(
        QuestionVersion.question_id == "pb-003").order_by(QuestionVersion.id.desc())).first()
    assert newest is not None and current["pb-003"] == newest.content_hash
    assert newest.data["stem"] == "贫困户退出以户为单位，由村民评议。"
    test = db.session.get(QuizTest, "2026-H2")
    assert test is not None and test.definition["sections"][0]["types"] == ["single", "judge"]
    assert test.definition["opens"].startswith("2026-12-01T08:00:00")


def test_cli_loads_and_prints_counts(app: Flask, ctx: Flask, quizzes: Path) -> None:
    result = app.test_cli_runner().invoke(args=["load-quizzes", str(quizzes)])
    assert result.exit_code == 0, result.output
    assert "banks: 3, tests: 2, questions: 10, new versions: 10" in result.output
    result = app.test_cli_runner().invoke(args=["load-quizzes", str(quizzes)])
    assert "new versions: 0" in result.output


def test_cli_is_all_or_nothing(app: Flask, ctx: Flask, quizzes: Path) -> None:
    write(quizzes, "tests/2026-H2.yaml", TEST.replace("{bank: party-building",
                                                      "{bank: party-buiding"))
    write(quizzes, "banks/party-building.yaml", PARTY.replace("answer: B", "answer: Z"))
    result = app.test_cli_runner().invoke(args=["load-quizzes", str(quizzes)])
    assert result.exit_code != 0
    assert "banks/party-building.yaml:12: dj-002: answer: one of the options A, B, C" \
        in result.output
    assert "tests/2026-H2.yaml:12: 2026-H2: sections[2].bank: a known bank" in result.output
    assert "nothing was written" in result.output
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(QuizBank)) == 0
    assert db.session.scalar(select(func.count()).select_from(QuizTest)) == 0
    assert db.session.scalar(select(func.count()).select_from(QuestionVersion)) == 0
