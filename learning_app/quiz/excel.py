"""Question banks to and from Excel: question writers work in the usual 题库 template.

Columns (header row 1, any order): 题号 (optional; generated from the bank id
when empty), 题型 (单选 / 多选 / 判断 / 填空), 题干, 选项A … 选项F, 答案, 解析,
出处, 标签, 不打乱 (optional: 是). Answers: 单选 ``A``; 多选 ``ACD`` or ``A,C,D``;
判断 正确/错误 (also 对/错, √/×, 是/否); 填空 accepted answers separated by
``|`` or ``；``. Tags are separated by 、 or commas.

Each question type owns its part (see ``QuestionType``): the 题型 names it
answers to, how its 答案 cell reads and is written, and whether it takes 选项.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font

from learning_app.errors import RowProblem, SheetRejected
from learning_app.quiz.types import QUESTION_TYPES, QuestionType, get_type, validate_question

OPTION_KEYS = "ABCDEF"
COLUMNS = ["题号", "题型", "题干", *[f"选项{k}" for k in OPTION_KEYS], "答案", "解析", "出处",
           "标签", "不打乱"]
# Which template column a problem in a question field points at.
FIELD_COLUMNS = {"id": "题号", "type": "题型", "stem": "题干", "options": "选项A",
                 "answer": "答案", "explanation": "解析", "source": "出处", "tags": "标签",
                 "shuffle": "不打乱"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 32 as 32.0
    return str(value).strip()


def _sheet_type(name: str) -> type[QuestionType] | None:
    """The registered type whose 题型 names include ``name``."""
    return next((kind for kind in QUESTION_TYPES.values() if name in kind.sheet_names()), None)


def _sheet_type_choices() -> str:
    """The registered types' labels as the 题型 problem lists them: 单选、多选、判断或填空."""
    labels = [kind.label for kind in QUESTION_TYPES.values()]
    return "、".join(labels[:-1]) + "或" + labels[-1] if len(labels) > 1 else "".join(labels)


def read_bank_sheet(path: Path, bank_id: str, title: str) -> dict[str, Any]:
    """The bank as contract-4 YAML data; SheetRejected lists every bad row."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a non-XLSX file
        raise SheetRejected([RowProblem(1, "文件", f"不是有效的 XLSX 文件（{exc}）")]) from None
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    if not rows:
        raise SheetRejected([RowProblem(1, "表头", "空表")])
    header = [_text(cell) for cell in rows[0]]
    missing = [c for c in ("题型", "题干", "答案") if c not in header]
    if missing:
        raise SheetRejected([RowProblem(1, c, "缺少这一列") for c in missing])
    col = {name: header.index(name) for name in COLUMNS if name in header}
    problems: list[RowProblem] = []
    questions: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = {name: _text(row[i]) if i < len(row) else "" for name, i in col.items()}
        if not any(cells.values()):
            continue
        kind = _sheet_type(cells.get("题型", ""))
        if kind is None:
            problems.append(RowProblem(number, "题型", _sheet_type_choices()))
            continue
        qid = cells.get("题号") or f"{bank_id}-{len(questions) + 1:03d}"
        if qid in seen:
            problems.append(RowProblem(number, "题号", f"与第{seen[qid]}行重复"))
            continue
        seen[qid] = number
        question: dict[str, Any] = {"id": qid, "type": kind.name, "stem": cells.get("题干", "")}
        options = {k: cells[f"选项{k}"] for k in OPTION_KEYS if cells.get(f"选项{k}")}
        if "options" in kind.fields:  # the type's YAML shape says whether it has options
            question["options"] = options
        elif options:
            problems.append(RowProblem(number, "选项A", f"{kind.label}题不填选项"))
        answer, problem = kind.answer_from_sheet(cells.get("答案", ""), options)
        if problem:
            problems.append(RowProblem(number, "答案", problem))
            continue
        question["answer"] = answer
        if cells.get("解析"):
            question["explanation"] = cells["解析"]
        if cells.get("出处"):
            question["source"] = cells["出处"]
        tags = [t for t in re.split(r"[、,，;；\s]+", cells.get("标签", "")) if t]
        if tags:
            question["tags"] = tags
        if cells.get("不打乱") in ("是", "Y", "y", "1", "TRUE", "true"):
            question["shuffle"] = False
        for issue in validate_question(question):
            column = FIELD_COLUMNS.get(issue.field.split(".")[0].split("[")[0], issue.field)
            problems.append(RowProblem(number, column, issue.expected))
        questions.append(question)
    if problems:
        raise SheetRejected(problems)
    if not questions:
        raise SheetRejected([RowProblem(2, "题干", "表中没有题目")])
    return {"bank": bank_id, "title": title, "questions": questions}


def bank_yaml(bank: dict[str, Any]) -> str:
    return yaml.safe_dump(bank, allow_unicode=True, sort_keys=False, width=100)


def write_bank_sheet(bank: dict[str, Any], path: Path) -> None:
    """Export a bank (contract-4 data) to the same template, for editing in Excel."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = (bank.get("title") or bank["bank"])[:31]
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for question in bank["questions"]:
        kind = get_type(question["type"])
        options = question.get("options") or {}
        sheet.append([
            question["id"], kind.label, question["stem"],
            *[options.get(k, "") for k in OPTION_KEYS], kind.answer_to_sheet(question["answer"]),
            question.get("explanation", ""), question.get("source", ""),
            "、".join(question.get("tags", [])),
            "是" if question.get("shuffle") is False else "",
        ])
    for column, width in zip("ABCDEFGHIJKLMN",
                             (10, 6, 50, 18, 18, 18, 18, 18, 18, 10, 40, 16, 16, 8), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.save(path)
