"""Plain functions behind the newsroom's admin pages (``admin_views``): reading
the county's setup forms, the freshness table, and a failed build's report.

The rules themselves are ``rules``' and the writes are ``service``'s; what is
here only maps a form onto them (the 错敏词 lines, the review levels with the
people typed in) and their refusals back onto the line or field they concern,
and turns dates and reports into what an editor reads.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from learning_app.errors import Refused
from learning_app.models.newsroom import SECTIONS
from learning_app.newsroom import rules

MAX_WORD_LINES = 5000  # far more than any county's list; a pasted book is refused
MAX_ADD_TOKENS = 20  # people added to one level in one save
WORD_SEPARATORS = re.compile(r"[=＝]")
PEOPLE_SEPARATORS = re.compile(r"[\s,，、;；]+")


def day_text(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# -- 错敏词 -------------------------------------------------------------------------


@dataclass(frozen=True)
class LineProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"第{self.line}行：{self.message}"


def parse_words(text: str) -> tuple[list[tuple[str, str | None]], list[LineProblem]]:
    """The textarea's lines (``错词=建议`` or just the word; blank lines skipped)
    as (word, suggestion) pairs, and the problems, each naming its line. Each
    line is checked by ``rules.check_words`` itself, so the refusal is the rule's."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if len(lines) > MAX_WORD_LINES:
        return [], [LineProblem(MAX_WORD_LINES + 1, f"错敏词表最多{MAX_WORD_LINES}行")]
    pairs: list[tuple[str, str | None]] = []
    problems: list[LineProblem] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        parts = WORD_SEPARATORS.split(line, maxsplit=1)
        word = parts[0].strip()
        suggestion = parts[1].strip() if len(parts) > 1 else ""
        if not word:
            problems.append(LineProblem(number, "等号前面缺少错词，应写成“错词=建议”"))
            continue
        try:
            rules.check_words([(word, suggestion or None)])
        except Refused as refusal:
            problems.append(LineProblem(number, refusal.message))
            continue
        pairs.append((word, suggestion or None))
    return pairs, problems


def words_text(words: Iterable[tuple[str, str | None]]) -> str:
    """The list as the textarea shows it, one ``错词=建议`` a line."""
    return "\n".join(f"{word}={suggestion}" if suggestion else word
                     for word, suggestion in words)


# -- 更新时限 -----------------------------------------------------------------------


def parse_days(raw: str | None) -> int | None:
    """Days as typed (half-width or full-width digits); None when it isn't a number."""
    text = (raw or "").strip()
    if not text or len(text) > 6 or not text.isdigit():
        return None
    try:
        return int(text)  # int() reads full-width digits too
    except ValueError:
        return None


def threshold_field(message: str) -> str:
    """Which field a refusal of ``rules.check_stale_days`` is about (it names the
    section first): "news", "policy", or "" for the form."""
    for key in ("news", "policy"):
        if message.startswith(SECTIONS[key]):
            return key
    return ""


# -- 审核级别 -----------------------------------------------------------------------


class Person(Protocol):
    id: int
    name: str
    code: str

    @property
    def is_active(self) -> bool: ...


@dataclass
class LevelRow:
    """One level as the form shows it: the people on it (those ticked for removal
    still listed, so a refused save shows the form as it was sent)."""

    name: str
    member_ids: list[int] = field(default_factory=list)
    removed: set[int] = field(default_factory=set)
    adding: str = ""  # 党员编号 or phones typed, not yet resolved
    drop: bool = False
    problem: str | None = None  # shown next to the add field

    @property
    def kept(self) -> list[int]:
        return [member for member in self.member_ids if member not in self.removed]


@dataclass
class LevelsForm:
    rows: list[LevelRow]
    new: LevelRow  # the optional new level (empty name and people: none)
    new_before: int  # insert before this row (1-based); len(rows) + 1: at the end
    fingerprint: str = ""
    problem: str | None = None  # shown above the form

    @property
    def has_new(self) -> bool:
        return bool(self.new.name.strip() or self.new.adding.strip() or self.new.member_ids)

    @property
    def has_problems(self) -> bool:
        return bool(self.problem or self.new.problem or any(r.problem for r in self.rows))


def fingerprint(config: Sequence[tuple[str, Sequence[int]]]) -> str:
    """A short digest of the levels as configured: a form sent against other
    levels than it was shown with (someone saved meanwhile) is refused."""
    data = json.dumps([[name, sorted(members)] for name, members in config],
                      ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def form_from_config(config: Sequence[tuple[str, Sequence[int]]]) -> LevelsForm:
    rows = [LevelRow(name=name, member_ids=list(members)) for name, members in config]
    # A new level goes before the last by default: the signing level stays last.
    return LevelsForm(rows=rows, new=LevelRow(name=""), new_before=max(1, len(rows)),
                      fingerprint=fingerprint(config))


def _ids(values: Iterable[str]) -> list[int]:
    found: list[int] = []
    for value in values:
        text = (value or "").strip()
        if text.isascii() and text.isdigit() and len(text) <= 10:
            found.append(int(text))
    return list(dict.fromkeys(found))


class Form(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...

    def getlist(self, key: str) -> list[str]: ...


def read_levels_form(form: Form) -> LevelsForm:
    """The levels form as sent: ``count`` rows ``name-i``, ``member-i`` (the people
    shown), ``remove-i`` (ticked), ``add-i`` (typed), ``drop-i``; and the new level
    ``new-name``, ``new-member``, ``new-remove``, ``new-add``, ``new-before``."""
    counted = _ids([str(form.get("count", ""))])
    count = min(counted[0], rules.MAX_LEVELS) if counted else 0
    rows = []
    for index in range(1, count + 1):
        rows.append(LevelRow(
            name=str(form.get(f"name-{index}", "")),
            member_ids=_ids(form.getlist(f"member-{index}")),
            removed=set(_ids(form.getlist(f"remove-{index}"))),
            adding=str(form.get(f"add-{index}", ""))[:500],
            drop=bool(form.get(f"drop-{index}"))))
    before_raw = str(form.get("new-before", ""))
    before = _ids([before_raw])
    new_before = min(before[0], count + 1) if before and before[0] >= 1 else count + 1
    new = LevelRow(name=str(form.get("new-name", "")),
                   member_ids=_ids(form.getlist("new-member")),
                   removed=set(_ids(form.getlist("new-remove"))),
                   adding=str(form.get("new-add", ""))[:500])
    return LevelsForm(rows=rows, new=new, new_before=new_before,
                      fingerprint=str(form.get("fingerprint", "")))


def _row_label(row: LevelRow, position: int | None) -> str:
    name = " ".join(row.name.split())
    if name:
        return f"“{name}”"
    return f"第{position}级" if position else "新增的一级"


def resolve_additions(form: LevelsForm, find: Callable[[str], Person | None]) -> None:
    """Look up everyone typed into an add field (党员编号 or phone); a person not
    found, or whose account is closed, is a problem next to that field. Those
    found join the row's people."""
    numbered: list[tuple[LevelRow, int | None]] = [
        (row, index) for index, row in enumerate(form.rows, start=1)]
    for row, position in [*numbered, (form.new, None)]:
        tokens = [t for t in PEOPLE_SEPARATORS.split(row.adding.strip()) if t]
        if len(tokens) > MAX_ADD_TOKENS:
            row.problem = f"{_row_label(row, position)}一次最多添加{MAX_ADD_TOKENS}人"
            continue
        missing: list[str] = []
        closed: list[str] = []
        found: list[int] = []
        for token in tokens:
            person = find(token)
            if person is None:
                missing.append(token[:32])
            elif not person.is_active:
                closed.append(f"{person.name}（{person.code}）")
            else:
                found.append(person.id)
        problems = []
        if missing:
            problems.append("没有找到党员编号或手机号为" + "、".join(f"“{t}”" for t in missing)
                            + "的党员")
        if closed:
            problems.append("、".join(closed) + "的账号已停用，不能担任审核人")
        if problems:
            row.problem = "；".join(problems)
            continue
        row.member_ids = list(dict.fromkeys([*row.member_ids, *found]))
        row.removed -= set(found)  # typed in again: kept
        row.adding = ""


def levels_wanted(form: LevelsForm) -> list[tuple[str, list[int]]]:
    """The levels to save, in order: the rows not dropped, with the new level
    inserted where the form says."""
    wanted: list[tuple[str, list[int]]] = []
    for index, row in enumerate(form.rows, start=1):
        if form.has_new and form.new_before == index:
            wanted.append((form.new.name, form.new.kept))
        if not row.drop:
            wanted.append((row.name, row.kept))
    if form.has_new and form.new_before > len(form.rows):
        wanted.append((form.new.name, form.new.kept))
    return wanted


# -- the freshness watch ----------------------------------------------------------------


@dataclass(frozen=True)
class FreshnessRow:
    key: str
    name: str
    last: str  # the last publication, in words
    next: str  # the next scheduled one, in words
    rule: str  # the threshold
    due: str  # by when the next article is due
    warnings: list[str]


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def freshness_rows(last: Mapping[str, dt.date | None], scheduled: Mapping[str, dt.date],
                   stale: Mapping[str, int], today: dt.date,
                   warnings: Sequence[str]) -> list[FreshnessRow]:
    """One row per section; a warning of ``rules.freshness_warnings`` belongs to the
    section it names first."""
    rows = []
    for key, name in SECTIONS.items():
        latest = last.get(key)
        upcoming = scheduled.get(key)
        if key == "column":
            rule = "每月至少发布一期"
            this_month = latest is not None and latest >= today.replace(day=1)
            if this_month:
                following = _month_end(today) + dt.timedelta(days=1)
                due = f"本月已发布；下一期请在{day_text(_month_end(following))}前发布"
            else:
                due = f"本月还没有发布，请在{day_text(_month_end(today))}前发布"
        else:
            days = stale[key]
            rule = f"{days}天内至少更新一次"
            if latest is None:
                due = "还没有发布过，请尽快发布"
            else:
                deadline = latest + dt.timedelta(days=days)
                due = (f"已于{day_text(deadline)}超过时限" if deadline < today
                       else f"{day_text(deadline)}前应有新文章")
        rows.append(FreshnessRow(
            key=key, name=name,
            last=day_text(latest) if latest else "还没有发布过",
            next=f"{day_text(upcoming)}定时上线" if upcoming else "没有已签发的定时稿件",
            rule=rule, due=due,
            warnings=[w for w in warnings if w.startswith(name)]))
    return rows


# -- a build's report ---------------------------------------------------------------------

# site_builder's errors: ``path:line: field: what was expected`` (contract 1).
SOURCE_LINE = re.compile(r"^\s*(?P<path>[^\s:][^:\n]*\.(?:md|yml|yaml|txt|json)):"
                         r"(?P<line>\d+): (?P<field>[^:\n]+): (?P<message>.+)$")
FIELD_LABELS: dict[str, str] = {
    "title": "标题", "date": "日期", "category": "分类", "department": "发布部门",
    "tags": "标签", "summary": "摘要", "credit": "学时", "id": "文章编号",
    "front matter": "文章开头的设置（标题、日期等）", "html": "正文中的网页代码",
    "issue": "专栏期号", "path": "文件位置", "registry": "文章编号登记表",
    "plan": "引用的规划原文", "file": "文件", "facts": "规划数据", "clauses": "规划条款",
}


@dataclass(frozen=True)
class BuildProblem:
    path: str  # under content/
    line: int
    field: str  # in words
    message: str

    def text(self, title: str | None = None) -> str:
        """In words; ``title``: the newsroom article at ``path``, if it is one."""
        where = f"《{title}》（{self.path}）" if title else f"{self.path} "
        return f"{where}第{self.line}行，{self.field}：{self.message}"


def build_problems(error: str | None) -> list[BuildProblem]:
    """The problems in a build's report that name a file and line (at most 20)."""
    problems: list[BuildProblem] = []
    for line in (error or "").splitlines():
        match = SOURCE_LINE.match(line)
        if match is None:
            continue
        name = match["field"].strip()
        problem = BuildProblem(match["path"], int(match["line"]), FIELD_LABELS.get(name, name),
                               match["message"].strip())
        if problem not in problems:
            problems.append(problem)
    return problems[:20]


def build_summary(error: str | None) -> tuple[str, str]:
    """(the first paragraph, the rest) of a build's stored error text
    (``builds.failure_text``: a Chinese summary, then the builder's own report)."""
    text = (error or "").strip()
    head, _, rest = text.partition("\n\n")
    return head.strip(), rest.strip()
