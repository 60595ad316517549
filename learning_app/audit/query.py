"""Reading the audit log: filters, pages and readable changes, as plain functions.

The page and its export share these: ``parse_filter`` turns query parameters
into an ``AuditFilter`` (refusing a bad date with a Chinese message),
``statement`` is its SQL, ``read_page`` pages through it newest first by id
(keyset: a cursor is an event id, so any page costs the same and a huge or
forged cursor is simply an empty page), and ``describe`` turns the before and
after of an event into Chinese lines a county admin can read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from learning_app.audit.actions import ACTIONS, label
from learning_app.auth.roles import ROLES
from learning_app.errors import Refused
from learning_app.imports.spec import KINDS as IMPORT_KINDS
from learning_app.models import AuditEvent
from learning_app.models.members import CATEGORIES, STATUSES
from learning_app.models.training import TRAINING_KINDS
from learning_app.models.types import TZ

PAGE_SIZE = 50
TEXT_LIMIT = 50  # a name or a code; longer is no filter anybody types
MAX_ID = 2**63 - 1  # ids beyond any column: an empty page, not an overflow

# The before/after keys the app writes, as the county admin reads them.
FIELD_LABELS: dict[str, str] = {
    "role": "角色", "scope": "管理范围", "password": "密码",
    "name": "姓名", "phone": "手机号", "category": "类别",
    "exempt": "免学", "exempt_reason": "免学原因",
    "org": "组织", "on": "日期", "note": "说明", "status": "状态",
    "hours": "学时",
    "training": "培训", "title": "标题", "kind": "类型", "held_on": "举办日期",
    "organizer": "主办单位", "members": "党员", "added": "新记学时人数",
    "already": "此前已登记人数",
    "test": "测试", "extra_minutes": "延长时间（分钟）", "extra_attempts": "增加次数",
    "opens_at": "另设开始时间", "closes_at": "另设截止时间", "reason": "原因",
    "question": "试题", "version": "版本", "rule": "规则", "attempts": "涉及答卷",
    "raised": "提高分数的答卷", "newly_passed": "新增合格",
    "what": "导出内容", "range": "范围", "period": "统计期间", "format": "格式",
    "rows": "行数", "filters": "筛选条件",
    "expires_at": "开通码有效期至", "file": "文件", "refused": "问题数",
    "updated": "更新", "unchanged": "未变", "transferred": "转接人数",
    "bank": "题库", "use": "用途", "questions": "题数", "output": "写入文件",
}
# Where an action uses a key in its own sense (an import's "added" are new rows).
ACTION_FIELD_LABELS: dict[str, dict[str, str]] = {
    "import": {"kind": "导入内容", "added": "新增", "rows": "总行数"},
}
VALUE_LABELS: dict[str, dict[Any, str]] = {
    "role": {name: role.label for name, role in ROLES.items()},
    "status": STATUSES,
    "category": CATEGORIES,
    "kind": {**TRAINING_KINDS, **IMPORT_KINDS},
    "format": {"xlsx": "电子表格", "csv": "逗号分隔文本"},
    "password": {"set": "已设置", "none": "未设置"},
    "use": {"practice": "练习", "exam": "考试"},
}
LIST_LIMIT = 20


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    target: str = ""
    start: dt.date | None = None  # Beijing dates, both inclusive
    end: dt.date | None = None

    def args(self) -> dict[str, str]:
        """As query parameters (for links and the export)."""
        pairs = {"action": self.action, "actor": self.actor, "target": self.target,
                 "from": self.start.isoformat() if self.start else "",
                 "to": self.end.isoformat() if self.end else ""}
        return {key: value for key, value in pairs.items() if value}

    def summary(self) -> str:
        """In words, for the record of an export."""
        parts = []
        if self.action:
            parts.append(f"操作：{label(self.action)}")
        if self.actor:
            parts.append(f"操作人含“{self.actor}”")
        if self.target:
            parts.append(f"对象含“{self.target}”")
        if self.start or self.end:
            parts.append(f"日期：{self.start or '不限'} 至 {self.end or '不限'}")
        return "；".join(parts) or "全部记录"


def _day(raw: str | None, name: str) -> dt.date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Refused(400, f"{name}应写成“年-月-日”，例如 2026-12-01") from None


def _text(raw: str | None) -> str:
    # PostgreSQL text can't hold NUL: a search for one finds nothing anyway.
    return (raw or "").replace("\x00", "").strip()[:TEXT_LIMIT]


def parse_filter(args: Mapping[str, str]) -> AuditFilter:
    """The filter in ``args``; an unknown action means every action."""
    action = (args.get("action") or "").strip()
    return AuditFilter(
        action=action if action in ACTIONS else "",
        actor=_text(args.get("actor")), target=_text(args.get("target")),
        start=_day(args.get("from"), "开始日期"), end=_day(args.get("to"), "结束日期"))


def utc_start(day: dt.date) -> dt.datetime | None:
    """00:00 Beijing time on ``day`` as naive UTC; None off the calendar's ends."""
    try:
        return dt.datetime.combine(day, dt.time(), TZ).astimezone(dt.UTC).replace(tzinfo=None)
    except OverflowError:
        return None


def statement(f: AuditFilter) -> Select[tuple[AuditEvent]]:
    query = select(AuditEvent)
    if f.action:
        query = query.where(AuditEvent.action == f.action)
    if f.actor:
        query = query.where(AuditEvent.actor.contains(f.actor, autoescape=True))
    if f.target:
        query = query.where(AuditEvent.target.contains(f.target, autoescape=True))
    if f.start is not None:
        start = utc_start(f.start)
        if start is not None:
            query = query.where(AuditEvent.at >= start)
    if f.end is not None:
        end = utc_start(f.end + dt.timedelta(days=1)) if f.end < dt.date.max else None
        if end is not None:
            query = query.where(AuditEvent.at < end)
    return query


def cursor(raw: str | None) -> int | None:
    """An event id from a query parameter; anything else (a word, a sign, 10**20) is
    no cursor, and an id past every column is clamped to where no event is."""
    raw = (raw or "").strip()
    if not raw.isascii() or not raw.isdigit():
        return None
    return min(int(raw), MAX_ID)


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    newer: int | None  # the cursor for the page before (newer events), if any
    older: int | None  # the cursor for the page after (older events), if any


def read_page(session: Session, f: AuditFilter, *, before: int | None = None,
              after: int | None = None, size: int = PAGE_SIZE) -> AuditPage:
    """Newest first: the ``size`` events below ``before``, or above ``after``, or the
    newest."""
    query = statement(f)
    if after is not None and before is None:
        rows = list(session.scalars(query.where(AuditEvent.id > after)
                                    .order_by(AuditEvent.id).limit(size)))
        rows.reverse()
    else:
        if before is not None:
            query = query.where(AuditEvent.id < before)
        rows = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(size)))
    if not rows:
        return AuditPage([], None, None)

    def exists(condition: Any) -> bool:
        return session.scalar(statement(f).with_only_columns(AuditEvent.id)
                              .where(condition).limit(1)) is not None

    newest, oldest = rows[0].id, rows[-1].id
    return AuditPage(rows, newest if exists(AuditEvent.id > newest) else None,
                     oldest if exists(AuditEvent.id < oldest) else None)


# -- reading an event ------------------------------------------------------------------

def beijing(moment: dt.datetime) -> str:
    """A naive UTC moment as Beijing time."""
    return moment.replace(tzinfo=dt.UTC).astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")


def field_label(key: str, action: str = "") -> str:
    return ACTION_FIELD_LABELS.get(action, {}).get(key) or FIELD_LABELS.get(key, key)


def value_text(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if key == "rule" and isinstance(value, dict):
        if value.get("void"):
            return "作废本题（所有人得分）"
        if "also_correct" in value:
            return f"增加正确答案 {value_text('', value['also_correct'])}"
    if key == "expires_at" and isinstance(value, str):
        try:  # stored as naive UTC; the page reads Beijing time
            return beijing(dt.datetime.fromisoformat(value))[:16]
        except ValueError:
            return value
    if key in VALUE_LABELS and isinstance(value, str | int):
        return VALUE_LABELS[key].get(value, str(value))
    if isinstance(value, list):
        shown = "、".join(value_text("", item) for item in value[:LIST_LIMIT])
        return shown + (f" 等{len(value)}项" if len(value) > LIST_LIMIT else "")
    if isinstance(value, dict):
        return "；".join(f"{field_label(k)}：{value_text(k, v)}" for k, v in value.items())
    return str(value)


def describe(before: Any, after: Any, action: str = "") -> list[str]:
    """The change as lines: "角色：党员 → 组织管理员" for a changed field, "学时：5"
    for a new value, "延长时间（分钟）：15 → —" for one taken away."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        # An empty field of a whole record set or removed says nothing ("另设开始时间：— → —").
        if isinstance(after, dict) and before is None:
            return [f"{field_label(k, action)}：{value_text(k, v)}" for k, v in after.items()
                    if v not in (None, "")]
        if isinstance(before, dict) and after is None:
            return [f"{field_label(k, action)}：{value_text(k, v)} → —" for k, v in before.items()
                    if v not in (None, "")]
        lines = []
        if before is not None:
            lines.append(f"之前：{value_text('', before)}")
        if after is not None:
            lines.append(f"之后：{value_text('', after)}")
        return lines
    lines = []
    for key in [*before, *(k for k in after if k not in before)]:
        old, new, name = before.get(key), after.get(key), field_label(key, action)
        if key not in before:
            lines.append(f"{name}：{value_text(key, new)}")
        elif key not in after:
            lines.append(f"{name}：{value_text(key, old)} → —")
        elif old != new:
            lines.append(f"{name}：{value_text(key, old)} → {value_text(key, new)}")
    return lines


@dataclass(frozen=True)
class EventView:
    at: str
    action: str
    actor: str
    target: str
    address: str
    changes: list[str]
    detail: str


def view(event: AuditEvent) -> EventView:
    return EventView(at=beijing(event.at), action=label(event.action), actor=event.actor,
                     target=event.target or "—", address=event.address or "—",
                     changes=describe(event.before, event.after, event.action),
                     detail=event.detail or "")
