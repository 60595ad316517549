"""Question banks to and from Excel: question writers work in the usual 题库 template.

Columns (header row 1, any order): 题号 (optional; generated from the bank id
when empty), 题型 (单选 / 多选 / 判断 / 填空), 题干, 选项A … 选项F, 答案, 解析,
出处, 标签, 不打乱 (optional: 是). Answers: 单选 ``A``; 多选 ``ACD`` or ``A,C,D``;
判断 正确/错误 (also 对/错, √/×, 是/否); 填空 accepted answers separated by
``|`` or ``；``. Tags are separated by 、 or commas.

Each question type owns its part (see ``QuestionType``): the 题型 names it
answers to, how its 答案 cell reads and is written, and whether it takes 选项.

Sheets are read through ``imports.xlsx_guard`` (zip and XML bounds, row limit)
like roster uploads, and refuse control characters; exported cells go through
``spreadsheet.safe_cell``, so a stem starting with ``=`` never becomes a formula
(the reader takes the neutralising apostrophe off again, so banks round-trip).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from learning_app.errors import RowProblem, SheetRejected
from learning_app.imports.limits import MAX_UPLOAD_BYTES, FileLimits, megabytes
from learning_app.imports.xlsx_guard import xlsx_rows
from learning_app.quiz.types import QUESTION_TYPES, QuestionType, get_type, validate_question
from learning_app.spreadsheet import FORMULA_START, has_cell_control, safe_cell

OPTION_KEYS = "ABCDEF"
COLUMNS = ["题号", "题型", "题干", *[f"选项{k}" for k in OPTION_KEYS], "答案", "解析", "出处",
           "标签", "不打乱"]
# Which template column a problem in a question field points at.
FIELD_COLUMNS = {"id": "题号", "type": "题型", "stem": "题干", "options": "选项A",
                 "answer": "答案", "explanation": "解析", "source": "出处", "tags": "标签",
                 "shuffle": "不打乱"}
# A bank holds hundreds of questions, a big one a few thousand; read from the
# command line, so no time budget, but the same zip and XML bounds as uploads.
BANK_LIMITS = FileLimits(max_rows=20_000, max_columns=50, max_strings=200_000,
                         seconds=None)
# Characters a sheet title can't hold (openpyxl raises on them).
SHEET_TITLE_BAD = re.compile(r"[\\/?*\[\]:\x00-\x1f\x7f]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 32 as 32.0
    text = str(value).strip()
    # The apostrophe our export put before a formula-like text (write_bank_sheet).
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


def _sheet_type(name: str) -> type[QuestionType] | None:
    """The registered type whose 题型 names include ``name``."""
    return next((kind for kind in QUESTION_TYPES.values() if name in kind.sheet_names()), None)


def _sheet_type_choices() -> str:
    """The registered types' labels as the 题型 problem lists them: 单选、多选、判断或填空."""
    labels = [kind.label for kind in QUESTION_TYPES.values()]
    return "、".join(labels[:-1]) + "或" + labels[-1] if len(labels) > 1 else "".join(labels)


def read_bank_sheet(path: Path, bank_id: str, title: str) -> dict[str, Any]:
    """The bank as contract-4 YAML data; SheetRejected lists every bad row."""
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise SheetRejected([RowProblem(1, "文件", f"文件有{megabytes(size)}，超过上限"
                                                   f"{megabytes(MAX_UPLOAD_BYTES)}")])
    data = path.read_bytes()
    if not data.startswith(b"PK"):
        raise SheetRejected([RowProblem(1, "文件", "不是有效的 XLSX 文件")])
    rows = [row for _, row in xlsx_rows(data, BANK_LIMITS)]
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
        controls = [name for name, text in cells.items() if has_cell_control(text)]
        if controls:
            problems += [RowProblem(number, name, "含有看不见的控制字符，请删去后重新导入")
                         for name in controls]
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
    sheet.title = SHEET_TITLE_BAD.sub("_", bank.get("title") or bank["bank"])[:31].strip(
        "'") or "题库"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for question in bank["questions"]:
        kind = get_type(question["type"])
        options = question.get("options") or {}
        # Every cell neutralised: a stem "=HYPERLINK(…)" stays text, and a control
        # character (which XLSX can't hold) never fails the export.
        sheet.append([safe_cell(value) for value in [
            question["id"], kind.label, question["stem"],
            *[options.get(k, "") for k in OPTION_KEYS], kind.answer_to_sheet(question["answer"]),
            question.get("explanation", ""), question.get("source", ""),
            "、".join(question.get("tags", [])),
            "是" if question.get("shuffle") is False else "",
        ]])
    for column, width in zip("ABCDEFGHIJKLMN",
                             (10, 6, 50, 18, 18, 18, 18, 18, 18, 10, 40, 16, 16, 8), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.save(path)
