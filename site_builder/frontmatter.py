"""Parse and validate article front matter (DESIGN.md, contract 1).

Every error carries the line of the offending key and says, in Chinese, what
was expected, so the editor (or the newsroom, next to the field) sees
``column/2026-11/x.md:4: category: 应为 knowledge（扶贫知识）…之一``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from site_builder.errors import SourceError

try:  # libyaml is ~10x faster on large archives; fall back when absent
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
CATEGORIES: dict[str, str] = {
    "knowledge": "扶贫知识",
    "measures": "部门措施",
    "cases": "先进案例",
}
_FENCE = re.compile(r"^-{3}\s*$")
_END = re.compile(r"^(?:-{3}|\.{3})\s*$")


class FrontMatter(BaseModel):
    """The keys an article may carry; anything else is an error."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)

    title: str = Field(min_length=1, max_length=120)
    date: dt.date
    category: Literal["knowledge", "measures", "cases"] | None = None
    department: str | None = Field(default=None, min_length=1, max_length=60)
    tags: list[str] = Field(default_factory=list)
    summary: str | None = Field(default=None, min_length=1, max_length=300)
    credit: float | None = Field(default=None, gt=0, le=10)
    id: str | None = Field(default=None, pattern=ID_PATTERN, max_length=80)

    @field_validator("date", mode="before")
    @classmethod
    def _plain_date(cls, value: Any) -> Any:
        # YAML turns "2026-11-03 08:00" into a datetime; a publish date is a day.
        if isinstance(value, dt.datetime):
            raise ValueError("a date without time")
        if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError("a date")
        return value

    @field_validator("title", "department", "summary", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError("a text")
        return value.strip() if isinstance(value, str) else value

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        if not isinstance(value, list) or not all(
            isinstance(tag, str) and tag.strip() for tag in value
        ):
            raise ValueError("a list of non-empty texts")
        return [tag.strip() for tag in value]

    @field_validator("credit", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("a number of 学时")
        return value


@dataclass(frozen=True)
class ParsedSource:
    """A Markdown file split into validated front matter and body."""

    meta: FrontMatter
    body: str
    body_line: int  # 1-based line where the body starts
    key_lines: dict[str, int]


CATEGORY_CHOICES = "knowledge（扶贫知识）、measures（部门措施）、cases（先进案例）"
_EXPECTED: dict[str, str] = {
    "title": "应为不超过 120 字的标题，不能为空",
    "date": "应为 YYYY-MM-DD 格式的日期，如 2026-12-01",
    "category": f"应为 {CATEGORY_CHOICES}之一",
    "department": "应为发布部门的名称（文字）",
    "tags": "应为不空的文字列表，如 [精准扶贫, 产业扶贫]",
    "summary": "应为不超过 300 字的摘要",
    "credit": "应为学时数，大于 0 且不超过 10",
    "id": "应由小写字母、数字和单个连字符组成，如 liangbuchou-exit",
}


def split_front_matter(source: str) -> tuple[str | None, str, int, int]:
    """Return (yaml text or None, body, yaml start line, body start line)."""
    lines = source.splitlines(keepends=True)
    if not lines or not _FENCE.match(lines[0]):
        return None, source, 0, 1
    for index in range(1, len(lines)):
        if _END.match(lines[index]):
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), 2, index + 2
    return None, source, 0, 1


def _key_lines(node: yaml.Node, first_line: int) -> dict[str, int]:
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, _value in node.value:
            lines[str(key.value)] = first_line + key.start_mark.line
    return lines


def parse_article(path: str, source: str) -> tuple[ParsedSource | None, list[SourceError]]:
    """Validate one article's front matter; return it or the errors found."""
    text, body, start, body_line = split_front_matter(source)
    if text is None:
        return None, [SourceError(path, 1, "front matter",
                                  "文件开头应有两行 --- 夹住的 YAML 块（标题、日期等）")]
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = _construct(node)
    except ValueError:
        # A well-formed but impossible value, e.g. date: 2026-13-01.
        return None, _value_errors(path, yaml.compose(text, Loader=_Loader), start)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = start + mark.line if mark is not None else start
        problem = getattr(exc, "problem", None) or "无法解析"
        return None, [SourceError(path, line, "front matter", f"YAML 格式有误（{problem}）")]
    if not isinstance(data, dict) or node is None:
        return None, [SourceError(path, start, "front matter", "应为“键: 值”的列表")]
    key_lines = _key_lines(node, start)
    duplicates = _duplicate_keys(node, start)
    if duplicates:
        return None, [SourceError(path, line, key, "只能出现一次") for key, line in duplicates]
    try:
        meta = FrontMatter.model_validate(data)
    except ValidationError as exc:
        return None, [_to_source_error(path, err, key_lines, start) for err in exc.errors()]
    return ParsedSource(meta, body, body_line, key_lines), []


def _construct(node: yaml.Node | None) -> Any:
    """Build Python values from the node tree already composed (parse once)."""
    if node is None:
        return None
    return yaml.SafeLoader("").construct_document(node)


def _value_errors(path: str, node: yaml.Node, start: int) -> list[SourceError]:
    errors = []
    for key, value in getattr(node, "value", []):
        try:
            yaml.SafeLoader("").construct_object(value, deep=True)
        except ValueError:
            field = str(key.value)
            line = start + key.start_mark.line
            errors.append(SourceError(path, line, field, _EXPECTED.get(field, "值无效")))
    return errors


def _duplicate_keys(node: yaml.Node, start: int) -> list[tuple[str, int]]:
    seen: set[str] = set()
    duplicates = []
    for key, _value in getattr(node, "value", []):
        if key.value in seen:
            duplicates.append((str(key.value), start + key.start_mark.line))
        seen.add(key.value)
    return duplicates


def _to_source_error(
    path: str, err: Any, key_lines: dict[str, int], start: int
) -> SourceError:
    field = str(err["loc"][0]) if err["loc"] else "front matter"
    line = key_lines.get(field, start)
    if err["type"] == "extra_forbidden":
        allowed = ", ".join(FrontMatter.model_fields)
        return SourceError(path, line, field, f"不认识的键（可用的键：{allowed}）")
    if err["type"] == "missing":
        return SourceError(path, start, field, f"必填，{_EXPECTED[field]}")
    return SourceError(path, line, field, _EXPECTED.get(field, err["msg"]))
