"""The article form (plain functions, no Flask): contract-1 front matter to the
form's fields and back, and the validator's errors to the field they concern.

The form shows one input per front-matter key (``FIELDS``) and the body. What a
person typed is kept as typed until it can be stored: an unparsable 学时 or
date is an error next to its input, never a silent change. Whether the values
are *valid* is the site build's question (``site_builder.drafts.check_draft``);
``field_errors`` puts each of its answers next to the input it is about.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

from learning_app.newsroom.words import FIELD_LABELS as WORD_FIELDS
from learning_app.newsroom.words import Hit
from site_builder.errors import SourceError
from site_builder.frontmatter import CATEGORY_CHOICES, split_front_matter

# The form's inputs for contract 1's keys (``id`` is fixed once the article exists).
FIELDS = ("title", "date", "category", "department", "tags", "summary", "credit")
LABELS: dict[str, str] = {
    "section": "栏目", "id": "文章编号", "title": "标题", "date": "日期", "category": "分类",
    "department": "发布部门", "tags": "标签", "summary": "摘要", "credit": "学时",
    "body": "正文", "correction_note": "更正说明",
}
CATEGORIES: dict[str, str] = {"knowledge": "扶贫知识", "measures": "部门措施", "cases": "先进案例"}
# The build's error fields that belong to an input: the key itself, or where the
# file goes (a column article's issue follows its date).
_FIELD_OF: dict[str, str] = {**{key: key for key in FIELDS}, "id": "id", "issue": "date",
                             "html": "body", "plan": "body"}
# The build's messages name contract 1's codes, for people editing files; the form
# shows the choices by their Chinese names only.
_PLAIN = ((CATEGORY_CHOICES, "扶贫知识、部门措施、先进案例"),
          ("YYYY-MM-DD 格式的日期", "日期"))
_TAG_SPLIT = re.compile(r"[,，、;；\n]+")
FieldErrors = dict[str, list[str]]


def form_values(front_matter: Mapping[str, Any], body: str) -> dict[str, str]:
    """A revision as the form shows it: every field as text."""
    values = {key: "" for key in FIELDS}
    for key in FIELDS:
        value = front_matter.get(key)
        if value is None:
            continue
        if key == "tags" and isinstance(value, list):
            values[key] = "、".join(str(tag) for tag in value)
        elif key == "credit" and isinstance(value, (int, float)) and not isinstance(value, bool):
            values[key] = f"{value:g}"
        elif isinstance(value, dt.date):
            values[key] = value.isoformat()
        else:
            values[key] = str(value)
    values["body"] = body
    return values


def as_text(value: Any) -> str:
    """A stored field's value as its input shows it (tags as a list: 、-joined)."""
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return "" if value is None else str(value)


def read_values(form: Mapping[str, Any]) -> dict[str, str]:
    """The form's fields from a request (missing ones empty), line ends as ``\\n``."""
    values = {key: str(form.get(key, "") or "") for key in (*FIELDS, "body")}
    values["body"] = values["body"].replace("\r\n", "\n").replace("\r", "\n")
    return values


def front_matter_from(values: Mapping[str, Any], section: str | None, *,
                      article_id: str | None = None) -> tuple[dict[str, Any], FieldErrors]:
    """Contract-1 front matter from the form's values, and the errors that stop it
    from being stored at all (no title, not a date, 学时 not a number). Empty
    optional fields are left out; ``category`` only for the column."""
    errors: FieldErrors = {}
    front_matter: dict[str, Any] = {}

    def text(key: str) -> str:
        value = values.get(key)
        if isinstance(value, list):  # an autosaved buffer may hold tags as a list
            return "、".join(str(item) for item in value)
        return " ".join(str(value or "").split()) if key != "summary" else str(value or "").strip()

    title = text("title")
    if title:
        front_matter["title"] = title
    else:
        errors["title"] = ["请填写标题"]
    date = text("date")
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            raise ValueError(date)
        front_matter["date"] = dt.date.fromisoformat(date).isoformat()
    except ValueError:
        errors["date"] = ["请填写日期，格式如 2026-12-01" if not date
                          else f"“{date}”不是有效的日期，格式应如 2026-12-01"]
    if section == "column":
        category = text("category")
        if category:
            front_matter["category"] = category
    for key in ("department", "summary"):
        if text(key):
            front_matter[key] = text(key)
    tags = [tag.strip() for tag in _TAG_SPLIT.split(text("tags")) if tag.strip()]
    if tags:
        front_matter["tags"] = list(dict.fromkeys(tags))
    credit = text("credit")
    if credit:
        try:
            number = float(credit)
        except ValueError:
            errors["credit"] = ["学时应填数字，如 0.5；不填则按文章长度计算"]
        else:
            front_matter["credit"] = int(number) if number.is_integer() else number
    if article_id:
        front_matter["id"] = article_id
    return front_matter, errors


def body_line(file_line: int, text: str, body: str) -> int:
    """The line of the editor's body for a line of the rendered file ``text``
    (front matter, ``---``, a blank line, then the body without leading blank lines)."""
    _yaml, _rest, _start, first = split_front_matter(text)
    normalised = body.replace("\r\n", "\n").replace("\r", "\n")
    leading = len(normalised) - len(normalised.lstrip("\n"))
    return max(1, file_line - first + leading)


def field_errors(errors: Iterable[SourceError], text: str, body: str) -> FieldErrors:
    """The validator's errors by input: a front-matter key's next to its input,
    the body's (HTML, the plan's figures) next to the editor with the body's own
    line number, and the rest (the file as a whole, site-wide files) under
    ``form``, for the top of the page."""
    found: FieldErrors = {}
    for error in errors:
        field = _FIELD_OF.get(error.field)
        text_of_error = error.message
        for code, plain in _PLAIN:
            text_of_error = text_of_error.replace(code, plain)
        error = SourceError(error.path, error.line, error.field, text_of_error)
        if field == "body":
            line = body_line(error.line, text, body)
            message = f"第{line}行：{error.message}"
        elif field is not None:
            message = error.message
        elif error.field in ("registry", "facts", "clauses", "file"):
            field, message = "form", f"网站的其他文件有问题，需管理员处理：{error.message}"
        elif error.field in ("front matter", "path"):
            field, message = "form", error.message
        else:  # a key the form doesn't have (a hand-edited file): name it
            field, message = "form", f"{error.field}：{error.message}"
        messages = found.setdefault(field, [])
        if message not in messages:
            messages.append(message)
    return found


def merge(*groups: Mapping[str, list[str]]) -> FieldErrors:
    merged: FieldErrors = {}
    for group in groups:
        for field, messages in group.items():
            merged.setdefault(field, []).extend(m for m in messages if m not in merged[field])
    return merged


def count(errors: Mapping[str, list[str]]) -> int:
    return sum(len(messages) for messages in errors.values())


# -- 错敏词 ---------------------------------------------------------------------


def highlight(text: str, hits: Iterable[Hit]) -> Markup:
    """``text`` as HTML with each hit's span in ``<mark>`` (overlapping hits as one
    mark), everything else escaped."""
    spans = sorted((hit.start, hit.end) for hit in hits)
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts: list[str] = []
    at = 0
    for start, end in merged:
        parts.append(str(escape(text[at:start])))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        at = end
    parts.append(str(escape(text[at:])))
    return Markup("".join(parts))


def hits_by_field(hits: Iterable[Hit], values: Mapping[str, str]
                  ) -> list[tuple[str, str, Markup, list[Hit]]]:
    """(field, label, highlighted text, its hits) for each field with hits, in the
    form's order."""
    grouped: dict[str, list[Hit]] = {}
    for hit in hits:
        grouped.setdefault(hit.field, []).append(hit)
    return [(field, WORD_FIELDS.get(field, field), highlight(values.get(field, ""), found),
             found) for field, found in grouped.items()]
