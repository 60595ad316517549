"""The review workflow as plain functions: who may do what to an article, and
what state it is in afterwards. No Flask, no database: the service loads a
``Situation`` and an ``Actor``, asks here, and writes what it is told.

States (``models.newsroom.STATES``)::

    draft, returned ─submit─▶ in_review(1) ─approve─▶ in_review(2) … ─sign─▶ approved
    in_review(k) ─return─▶ returned          (终审签发 at the last level)   or scheduled
    in_review(k) ─edit─▶ in_review(1), a new revision
    in_review ─recall─▶ draft               (its submitter, before any reviewer decided)
    approved, scheduled ─mark_published─▶ published
    approved, scheduled, published ─save─▶ draft (the approval lapses; a live article
                                           stays live: this is its correction)
    published, approved, scheduled ─withdraw─▶ withdrawn (final)

Decisions this module makes, and why:

- **Nobody approves their own text.** A member who wrote any revision of the
  article since it was last published (for an article never published: any
  revision) approves it at no level. Checking only the revision under review
  would let an author approve a reviewer's light edit of their own article.
  Limiting it to the edition under review keeps the people who once touched a
  live article free to approve a later correction by someone else.
- **Three levels are three people.** Within one round of review (since the last
  submission of the current revision) a member approves at one level only: 三审
  done by one person holding all three levels is one review.
- **An edit restarts review at level 1**, whatever the level it was made at:
  every level then approves exactly the text that goes live. The reviewer who
  edited is an author of it now, so someone else approves it; a reviewer who
  wants to keep their vote returns the article with comments instead.
- **Levels can't be skipped**, and a decision names the level and the revision
  the reviewer looked at: acting on a level already passed or on a text changed
  meanwhile is refused (two reviewers at once: one succeeds).
- **终审签发** needs the 保密审查 confirmation. A date before today (other than
  the date the article already carries on the site) needs a reason, kept in the
  trail; the time of going live is always the real one.
- **Corrections** of a live article carry a dated 更正说明 at the top of the body,
  which reviewers approve with the rest of the text; until the correction is
  published the old text stays live.
- **Recall (撤回送审)**: the editor who submitted may take the article back as a
  draft until a reviewer decides on it in that round; after that, only a return.
- **Withdrawal (撤稿)** is for the last level's reviewers (those who may sign an
  article off may take it down), with a reason. It is final: the id is retired.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import difflib
import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import yaml

from learning_app.errors import Refused
from learning_app.models.newsroom import SECTIONS, STATES

STEPS: dict[str, str] = {
    "save": "保存",
    "submit": "送审",
    "approve": "审核通过",
    "sign": "终审签发",
    "return": "退回修改",
    "edit": "审核修改",
    "restore": "恢复旧版",
    "publish": "上线",
    "withdraw": "撤稿",
    "recall": "撤回送审",
}
FRONT_MATTER_ORDER = ("title", "date", "category", "department", "tags", "summary", "credit",
                      "id")
EDITABLE = frozenset({"draft", "returned"})
SIGNED = frozenset({"approved", "scheduled"})
MAX_LEVELS = 6


@dataclass(frozen=True)
class Actor:
    """The member acting, as the rules need them."""

    id: int
    editor: bool = False  # writes drafts (auth.roles: Role.editor)
    active: bool = True
    levels: frozenset[int] = frozenset()  # the review levels they belong to (positions)


@dataclass(frozen=True)
class Situation:
    """An article as the rules need it."""

    state: str
    level: int  # the level it waits at while in review, else 0
    level_names: tuple[str, ...]  # the configured levels, in order
    current_revision_id: int | None
    current_number: int = 1
    live: bool = False  # a published revision is served and it isn't withdrawn
    # who wrote any revision since the last publication (all, if never published)
    edition_authors: frozenset[int] = field(default_factory=frozenset)
    # who approved the current revision since it was last submitted
    round_approvers: frozenset[int] = field(default_factory=frozenset)
    # who sent it to review last, and whether a reviewer has decided (approved,
    # signed, returned or edited) since: until then the submitter may recall it
    submitter: int | None = None
    round_decided: bool = False

    @property
    def levels(self) -> int:
        return len(self.level_names)


class Outcome(NamedTuple):
    state: str
    level: int


def level_name(situation: Situation, level: int) -> str:
    if 1 <= level <= situation.levels:
        return situation.level_names[level - 1]
    return f"第{level}级"


def status_label(state: str, live: bool) -> str:
    """What staff see: a live article under correction is both."""
    label = STATES.get(state, state)
    if live and state not in ("published", "withdrawn"):
        return f"已上线；更正稿{label}"
    return label


# -- writing -------------------------------------------------------------------------


def check_write(situation: Situation, actor: Actor) -> Outcome:
    """An editor saves a new revision. A draft or a returned article stays what it
    is; a signed-off one goes back to draft (the approval covered another text);
    a live one starts a correction. During review only its reviewers edit."""
    _active(actor)
    if not actor.editor:
        raise Refused(403, "只有宣传编辑可以撰写和修改稿件")
    state = situation.state
    if state == "withdrawn":
        raise Refused(409, "稿件已撤稿，不能再修改")
    if state == "in_review":
        raise Refused(409, f"稿件正在等待{level_name(situation, situation.level)}，"
                           "不能修改；需要修改请联系审核人退回")
    if state in EDITABLE:
        return Outcome(state, 0)
    if state in SIGNED or (state == "published" and situation.live):
        return Outcome("draft", 0)
    raise Refused(409, "稿件当前的状态不能修改")


def check_restore(situation: Situation, actor: Actor, *, was_published: bool) -> Outcome:
    """A published version of a live article comes back as a new revision, which
    goes through review like any correction."""
    if not was_published:
        raise Refused(400, "只能恢复曾经上线的版本")
    if not situation.live:
        raise Refused(409, "稿件没有在线上，不能恢复旧版")
    return check_write(situation, actor)


def check_submit(situation: Situation, actor: Actor, *, revision_id: int,
                 correction_problem: str | None = None) -> Outcome:
    _active(actor)
    if not actor.editor:
        raise Refused(403, "只有宣传编辑可以送审稿件")
    if situation.state not in EDITABLE:
        raise Refused(409, f"稿件{status_label(situation.state, situation.live)}，不能送审")
    if revision_id != situation.current_revision_id:
        raise Refused(409, f"稿件已有更新的版本（第{situation.current_number}版），"
                           "请查看后再送审")
    if situation.levels == 0:
        raise Refused(409, "县里还没有设置审核级别，暂时不能送审")
    if correction_problem:
        raise Refused(400, correction_problem)
    return Outcome("in_review", 1)


# -- reviewing -----------------------------------------------------------------------


def _active(actor: Actor) -> None:
    if not actor.active:
        raise Refused(403, "账号已停用，不能办理")


def _check_reviewer(situation: Situation, actor: Actor, level: int, revision_id: int) -> None:
    """The member reviews at ``level``, the article waits there, and the text is
    the one they looked at."""
    _active(actor)
    if situation.state != "in_review":
        raise Refused(409, f"稿件{status_label(situation.state, situation.live)}，"
                           "不在审核中")
    if not 1 <= level <= situation.levels:
        raise Refused(400, "没有这一审核级别")
    name = level_name(situation, level)
    if level not in actor.levels:
        raise Refused(403, f"您不是“{name}”的审核人")
    waiting = level_name(situation, situation.level)
    if level > situation.level:
        raise Refused(403, f"不能越级审核：稿件正在等待{waiting}")
    if level < situation.level:
        raise Refused(409, f"{name}已经审核过了，稿件现在等待{waiting}")
    if revision_id != situation.current_revision_id:
        raise Refused(409, f"稿件在您查看后已被修改（现为第{situation.current_number}版），"
                           "请查看最新版本后再审核")


def _check_not_own(situation: Situation, actor: Actor) -> None:
    if actor.id in situation.edition_authors:
        raise Refused(403, "不能审核自己撰写或修改过的稿件，请由其他审核人审核")
    if actor.id in situation.round_approvers:
        raise Refused(403, "您已经在本轮审核中审核过这篇稿件，下一级须由其他人审核")


def check_approve(situation: Situation, actor: Actor, *, level: int,
                  revision_id: int) -> Outcome:
    """Approval at a level before the last: on to the next level."""
    _check_reviewer(situation, actor, level, revision_id)
    if level == situation.levels:
        raise Refused(400, f"这是{level_name(situation, level)}，须确认保密审查后签发")
    _check_not_own(situation, actor)
    return Outcome("in_review", level + 1)


def check_final_approve(situation: Situation, actor: Actor, *, level: int, revision_id: int,
                        secrecy_confirmed: bool, date: dt.date, today: dt.date,
                        live_date: dt.date | None, backdate_reason: str | None) -> Outcome:
    """终审签发: approved to go live now, or scheduled for the article's date."""
    _check_reviewer(situation, actor, level, revision_id)
    if level != situation.levels:
        raise Refused(400, f"只有{level_name(situation, situation.levels)}可以签发")
    _check_not_own(situation, actor)
    if not secrecy_confirmed:
        raise Refused(400, "签发前须确认已完成保密审查")
    problem = backdate_problem(date, today, live_date, backdate_reason)
    if problem:
        raise Refused(400, problem)
    if live_date is not None and date > today:
        # The signed file replaces the live one at once, and a build shows only what
        # is due: the live page would be off the site until that date.
        raise Refused(400, f"更正已上线的稿件不能把日期改到今天以后（{date:%Y年%m月%d日}），"
                           "否则线上的页面在这一天之前会消失；请改回原来的日期")
    return Outcome(publish_state(date, today), 0)


def check_return(situation: Situation, actor: Actor, *, level: int, revision_id: int,
                 comment: str | None) -> Outcome:
    _check_reviewer(situation, actor, level, revision_id)
    if not (comment or "").strip():
        raise Refused(400, "退回时请写明修改意见")
    return Outcome("returned", 0)


def check_edit(situation: Situation, actor: Actor, *, level: int,
               base_revision_id: int) -> Outcome:
    """A reviewer's edit: a new revision, reviewed again from level 1."""
    _check_reviewer(situation, actor, level, base_revision_id)
    return Outcome("in_review", 1)


def check_withdraw(situation: Situation, actor: Actor, *, reason: str | None) -> Outcome:
    _active(actor)
    if situation.state == "withdrawn":
        raise Refused(409, "稿件已经撤稿")
    if not (situation.live or situation.state in SIGNED):
        raise Refused(409, "稿件尚未签发，无需撤稿")
    last = situation.levels
    if last == 0 or last not in actor.levels:
        raise Refused(403, f"只有“{level_name(situation, last)}”的审核人可以撤稿")
    if not (reason or "").strip():
        raise Refused(400, "撤稿请写明原因")
    return Outcome("withdrawn", 0)


def check_recall(situation: Situation, actor: Actor) -> Outcome:
    """The editor who sent the article to review takes it back as a draft (a
    mistake seen just after sending), as long as no reviewer has decided on it in
    this round. After a decision the reviewers' work stands: only a return hands
    the text back."""
    _active(actor)
    if situation.state != "in_review":
        raise Refused(409, f"稿件{status_label(situation.state, situation.live)}，"
                           "不在审核中，无需撤回")
    if not actor.editor or actor.id != situation.submitter:
        raise Refused(403, "只有送审人本人可以撤回送审")
    if situation.round_decided:
        raise Refused(409, "审核人已经办理了这一轮审核，不能再撤回；需要修改请联系审核人退回")
    return Outcome("draft", 0)


# -- what a page offers --------------------------------------------------------------


class Action(NamedTuple):
    """One thing a member may do to an article now (``level``: the review level it
    is done at, else 0)."""

    name: str  # write, submit, recall, approve, sign, return, edit, restore, withdraw
    level: int = 0


# What the forms supply before a check is final: a page offers 终审签发 to those
# who may sign once they confirm 保密审查 (and give a reason for an early date),
# a return to those who may return once they write a comment, and so on.
_FORM_TEXT = "（由表单填写）"
_ANY_DAY = dt.date(2000, 1, 1)


def _allowed(check: Callable[..., Outcome], *args: Any, **kwargs: Any) -> bool:
    try:
        check(*args, **kwargs)
    except Refused:
        return False
    return True


def available_actions(situation: Situation, actor: Actor) -> tuple[Action, ...]:
    """Every action ``actor`` may take on the article now, in the order a page
    shows them. Each is the answer of its own ``check_*`` function (with the
    form's inputs assumed given), so a page offers exactly what the service
    would accept, and nothing the rules refuse."""
    found: list[Action] = []
    revision = situation.current_revision_id or 0
    level = situation.level
    if _allowed(check_write, situation, actor):
        found.append(Action("write"))
    if _allowed(check_submit, situation, actor, revision_id=revision):
        found.append(Action("submit"))
    if _allowed(check_recall, situation, actor):
        found.append(Action("recall"))
    if _allowed(check_approve, situation, actor, level=level, revision_id=revision):
        found.append(Action("approve", level))
    if _allowed(check_final_approve, situation, actor, level=level, revision_id=revision,
                secrecy_confirmed=True, date=_ANY_DAY, today=_ANY_DAY, live_date=None,
                backdate_reason=_FORM_TEXT):
        found.append(Action("sign", level))
    if _allowed(check_return, situation, actor, level=level, revision_id=revision,
                comment=_FORM_TEXT):
        found.append(Action("return", level))
    if _allowed(check_edit, situation, actor, level=level, base_revision_id=revision):
        found.append(Action("edit", level))
    if _allowed(check_restore, situation, actor, was_published=True):
        found.append(Action("restore"))
    if _allowed(check_withdraw, situation, actor, reason=_FORM_TEXT):
        found.append(Action("withdraw"))
    return tuple(found)


# -- dates and publishing ------------------------------------------------------------


def article_date(front_matter: Mapping[str, Any]) -> dt.date:
    """The article's date (contract 1 ``date``), as a date."""
    value = front_matter.get("date")
    if isinstance(value, dt.datetime):
        value = None
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, dt.date):
        raise Refused(400, "稿件的日期不正确，应为“2026-12-01”这样的日期")
    return value


def publish_state(date: dt.date, today: dt.date) -> str:
    return "approved" if date <= today else "scheduled"


def backdate_problem(date: dt.date, today: dt.date, live_date: dt.date | None,
                     reason: str | None) -> str | None:
    """A date before today is allowed only with 终审's reason, unless it is the
    date the article already carries on the site (a correction keeps it)."""
    if date >= today or date == live_date or (reason or "").strip():
        return None
    return (f"稿件日期{date:%Y年%m月%d日}早于今天，按规定不得倒填发稿日期；"
            "确需使用这一日期，请在签发时写明理由")


def check_publish(*, state: str, final_approved: bool, number: int,
                  published_number: int | None, is_current: bool, date: dt.date,
                  today: dt.date) -> str:
    """Whether this revision may go live now; the article's state afterwards.

    Only a revision signed off at the last level goes live, never before its date,
    and never over a newer published one. If the article has moved on since
    (a new draft), it stays in that state and the signed text goes live."""
    if state == "withdrawn":
        raise Refused(409, "稿件已撤稿，不能上线")
    if not final_approved:
        raise Refused(409, "这个版本没有经过终审签发，不能上线")
    if published_number is not None and number < published_number:
        raise Refused(409, "已有更新的版本上线，不能用旧版本覆盖")
    if date > today:
        raise Refused(409, f"稿件定于{date:%Y年%m月%d日}上线，还没有到日期")
    return "published" if is_current else state


# -- corrections ---------------------------------------------------------------------

CORRECTION_HEAD = '!!! note "更正说明"'
_INDENT = "    "


def _split_notice(body: str) -> tuple[list[str], str] | None:
    """The 更正说明 block at the top of ``body``: its entries and the rest."""
    lines = body.lstrip("\n").split("\n")
    if not lines or lines[0].rstrip() != CORRECTION_HEAD:
        return None
    entries: list[str] = []
    index = 1
    while index < len(lines) and (lines[index].startswith(_INDENT) or not lines[index].strip()):
        if lines[index].strip():
            entries.append(lines[index].strip())
        index += 1
    return entries, "\n".join(lines[index:])


def correction_entries(body: str) -> list[str]:
    split = _split_notice(body)
    return split[0] if split else []


def add_correction_notice(body: str, date: dt.date, note: str) -> str:
    """``body`` with a dated entry at the top of its 更正说明 (the newest first)."""
    # The note is text, never markup: escaped like any text on the page.
    note = html.escape(" ".join(note.split())[:200], quote=False)
    if not note:
        raise Refused(400, "请写明更正内容")
    entry = f"{date.year}年{date.month}月{date.day}日更正：{note}"
    split = _split_notice(body)
    entries, rest = split if split else ([], body.lstrip("\n"))
    block = "\n\n".join(_INDENT + line for line in [entry, *entries])
    return f"{CORRECTION_HEAD}\n\n{block}\n\n{rest}"


def correction_problem(live: tuple[Mapping[str, Any], str] | None,
                       new: tuple[Mapping[str, Any], str]) -> str | None:
    """Why ``new`` can't be submitted as a correction of the ``live`` text: it is
    the same text, or it adds no 更正说明 entry. None when it can (or when
    nothing is live)."""
    if live is None:
        return None
    if dict(live[0]) == dict(new[0]) and live[1] == new[1]:
        return "稿件与线上版本相同，无需送审"
    if not set(correction_entries(new[1])) - set(correction_entries(live[1])):
        return "更正已上线的稿件，须在正文开头的“更正说明”中写明更正日期和内容"
    return None


def restored_body(old_body: str, live_body: str, date: dt.date, note: str) -> str:
    """An old version's body brought back: its text, under the live 更正说明
    (history isn't rewritten by a restore) with a new dated entry on top."""
    split = _split_notice(old_body)
    text = split[1] if split else old_body.lstrip("\n")
    entries = correction_entries(live_body)
    base = (CORRECTION_HEAD + "\n\n" + "\n\n".join(_INDENT + line for line in entries)
            + "\n\n" + text) if entries else text
    return add_correction_notice(base, date, note)


# -- configuration -------------------------------------------------------------------


def check_level_config(levels: list[tuple[str, list[int]]], *, active_members: set[int],
                       waiting_levels: set[int]) -> list[tuple[str, tuple[int, ...]]]:
    """The county admin's review levels, in order, each a name and its members.

    At least one level and at most ``MAX_LEVELS``; each named, uniquely, and
    with at least one active member; a member may sit on several levels. A level
    an article is waiting at (``waiting_levels``) can't be removed."""
    if not 1 <= len(levels) <= MAX_LEVELS:
        raise Refused(400, f"审核级别应为1至{MAX_LEVELS}级")
    names: list[str] = []
    clean: list[tuple[str, tuple[int, ...]]] = []
    for position, (raw_name, members) in enumerate(levels, start=1):
        name = " ".join((raw_name or "").split())
        if not name or len(name) > 40:
            raise Refused(400, f"第{position}级的名称应为1至40个字")
        if name in names:
            raise Refused(400, f"审核级别“{name}”重复")
        names.append(name)
        ids = tuple(dict.fromkeys(members))
        if not ids:
            raise Refused(400, f"“{name}”至少要有一名审核人")
        unknown = [member for member in ids if member not in active_members]
        if unknown:
            raise Refused(400, f"“{name}”的审核人中有不存在或已停用的账号")
        clean.append((name, ids))
    stranded = sorted(level for level in waiting_levels if level > len(levels))
    if stranded:
        raise Refused(409, f"有稿件正在第{stranded[0]}级等待审核，不能把审核级别减少到"
                           f"{len(levels)}级；请先处理这些稿件")
    return clean


def check_words(words: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """The 错敏词 list as the county typed it: trimmed, without repeats."""
    seen: set[str] = set()
    clean: list[tuple[str, str | None]] = []
    for raw, raw_suggestion in words:
        word = (raw or "").strip()
        suggestion = (raw_suggestion or "").strip() or None
        if not word:
            continue
        if len(word) > 50 or (suggestion and len(suggestion) > 100):
            raise Refused(400, f"错敏词“{word[:20]}”太长（词不超过50字，建议不超过100字）")
        if word not in seen:
            seen.add(word)
            clean.append((word, suggestion))
    return clean


def check_stale_days(news: int, policy: int) -> dict[str, int]:
    for name, value in (("新闻动态", news), ("政策解读", policy)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3660:
            raise Refused(400, f"{name}的更新时限应为1至3660天")
    return {"news": news, "policy": policy}


# -- text, paths and diffs -----------------------------------------------------------


def article_path(section: str, article_id: str, date: dt.date) -> str:
    """Where the article lives under content/ (column issues by month)."""
    if section not in SECTIONS:
        raise Refused(400, "栏目不正确")
    if section == "column":
        return f"column/{date:%Y-%m}/{article_id}.md"
    return f"{section}/{article_id}.md"


class _Dumper(yaml.SafeDumper):
    """Lists in flow style (``tags: [a, b]``), as hand-written articles have them."""


_Dumper.add_representer(list, lambda dumper, data: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", data, flow_style=True))


def front_matter_yaml(front_matter: Mapping[str, Any]) -> str:
    """Contract 1 front matter as YAML, keys in the contract's order, dates bare."""
    keys = [key for key in FRONT_MATTER_ORDER if key in front_matter]
    keys += sorted(key for key in front_matter if key not in FRONT_MATTER_ORDER)
    ordered: dict[str, Any] = {}
    for key in keys:
        value = front_matter[key]
        if value is None or value == []:
            continue
        if key == "date" and isinstance(value, str):
            with contextlib.suppress(ValueError):  # not a date: dumped as written
                value = dt.date.fromisoformat(value)
        ordered[key] = value
    return yaml.dump(ordered, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=1000)


def as_markdown(front_matter: Mapping[str, Any], body: str) -> str:
    """The article as a file of content/: front matter, then the body."""
    return f"---\n{front_matter_yaml(front_matter)}---\n\n{body.strip(chr(10))}\n"


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "add", "del", or "skip" (unchanged lines left out)
    old: int | None  # line number in the old text
    new: int | None  # line number in the new text
    text: str


def diff_lines(old: str, new: str, *, context: int = 3) -> list[DiffLine]:
    """A line diff of two texts, with ``context`` unchanged lines around each
    change; a longer unchanged run becomes one "skip" line saying how many."""
    a, b = old.split("\n"), new.split("\n")
    rows: list[DiffLine] = []
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            run = [DiffLine("same", i1 + k + 1, j1 + k + 1, a[i1 + k]) for k in range(i2 - i1)]
            first, last = index == 0, index == len(opcodes) - 1
            keep_head = 0 if first else context
            keep_tail = 0 if last else context
            if len(run) > keep_head + keep_tail + 1:
                hidden = len(run) - keep_head - keep_tail
                rows += run[:keep_head]
                rows.append(DiffLine("skip", None, None, f"（{hidden}行未改动）"))
                rows += run[len(run) - keep_tail:] if keep_tail else []
            else:
                rows += run
            continue
        rows += [DiffLine("del", i1 + k + 1, None, a[i1 + k]) for k in range(i2 - i1)]
        rows += [DiffLine("add", None, j1 + k + 1, b[j1 + k]) for k in range(j2 - j1)]
    if all(row.kind in ("same", "skip") for row in rows):
        return []  # the same text: nothing to show
    return rows


def revision_diff(old: tuple[Mapping[str, Any], str], new: tuple[Mapping[str, Any], str],
                  *, context: int = 3) -> list[DiffLine]:
    """The diff of two revisions as files: front matter and body."""
    return diff_lines(as_markdown(*old), as_markdown(*new), context=context)


# -- freshness (section 8) -----------------------------------------------------------

STALE_DEFAULTS: dict[str, int] = {"news": 14, "policy": 183}
WARN_AHEAD: dict[str, int] = {"news": 3, "policy": 14, "column": 7}


def freshness_warnings(last: Mapping[str, dt.date | None], today: dt.date,
                       stale_days: Mapping[str, int] | None = None, *,
                       warn_ahead: Mapping[str, int] | None = None,
                       scheduled: Mapping[str, dt.date | None] | None = None) -> list[str]:
    """Warnings, in Chinese, before a section goes unupdated too long.

    ``last``: each section's latest publication date (None: never). The column
    publishes every month: warn when this month has none yet and at most
    ``warn_ahead["column"]`` days are left, and say so when last month had none.
    News and policy: warn ``warn_ahead`` days before ``stale_days`` have passed
    since the last publication, and once they have. A scheduled article
    (``scheduled``: the earliest upcoming date per section) that lands in time
    silences the warning ahead, not the one for a month already missed."""
    stale = {**STALE_DEFAULTS, **(stale_days or {})}
    ahead = {**WARN_AHEAD, **(warn_ahead or {})}
    upcoming = scheduled or {}
    warnings: list[str] = []

    name = SECTIONS["column"]
    latest = last.get("column")
    month_start = today.replace(day=1)
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    previous_start = (month_start - dt.timedelta(days=1)).replace(day=1)
    if latest is None:
        warnings.append(f"{name}还没有发布过文章")
    elif latest < previous_start:
        warnings.append(f"{name}{previous_start.month}月没有发布文章（最近一次是"
                        f"{latest:%Y年%m月%d日}）")
    next_column = upcoming.get("column")
    in_time = next_column is not None and today <= next_column <= month_end
    days_left = (month_end - today).days + 1  # today included
    if (latest is None or latest < month_start) and not in_time and days_left <= ahead["column"]:
        warnings.append(f"{name}本月（{today.month}月）还没有发布文章，距月底还有{days_left}天"
                        "（含今天）")

    for section in ("news", "policy"):
        name, limit = SECTIONS[section], stale[section]
        latest = last.get(section)
        if latest is None:
            warnings.append(f"{name}还没有发布过文章")
            continue
        days = (today - latest).days
        deadline = latest + dt.timedelta(days=limit)
        upcoming_date = upcoming.get(section)
        if days > limit:
            warnings.append(f"{name}已{days}天未更新，超过了{limit}天的更新时限")
        elif days >= limit - ahead[section] and not (
                upcoming_date is not None and upcoming_date <= deadline):
            warnings.append(f"{name}已{days}天未更新，再过{limit - days}天将超过{limit}天的"
                            "更新时限")
    return warnings
