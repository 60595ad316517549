"""Pages for editors and admins: item analysis of tests, per-member overrides."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import aliased

from learning_app.audit.service import member_label
from learning_app.auth.access import admin_required, editor_required, in_scope, scope_root
from learning_app.cli import add_commands
from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.models import Member, QuizTest, TestOverride, TestOverrideChange
from learning_app.models.orgs import subtree_ids
from learning_app.models.types import TZ, utcnow
from learning_app.quiz.analysis import FLAG_LABELS, analyse_test, chart_bars, first_attempt_counts
from learning_app.quiz.attempts import (
    MAX_EXTRA,
    add_override,
    definition,
    remove_override,
    sealed_banks,
)
from learning_app.quiz.cli import load_quizzes_command, regrade_command, sweep_attempts_command
from learning_app.quiz.excel_cli import export_bank_command, import_bank_command

bp = Blueprint("quiz_admin", __name__, url_prefix="/app/quiz", cli_group=None)
add_commands(bp, load_quizzes_command, sweep_attempts_command, regrade_command,
             import_bank_command, export_bank_command)


# -- item analysis ---------------------------------------------------------------------

@bp.get("/analysis/")
@editor_required
def analysis_index() -> Any:
    tests = list(db.session.scalars(select(QuizTest).order_by(QuizTest.id)))
    return render_template("quiz_admin/analysis_index.html", tests=tests,
                           counts=first_attempt_counts(db.session))


@bp.get("/analysis/<test_id>")
@editor_required
def analysis_show(test_id: str) -> Any:
    test = db.session.get(QuizTest, test_id)
    if test is None:
        abort(404)
    # The most-chosen option gives the key away: an editor or admin who is in the
    # audience of a running test on these banks waits for it to close.
    banks = {section.bank for section in definition(test).sections}
    if banks & sealed_banks(db.session, current_user._get_current_object(), utcnow()):
        raise Refused(403, "本测试所用题库正用于进行中的测试，而您也在该测试范围内："
                           "测试结束后才能查看试题分析")
    stats = analyse_test(db.session, test_id)
    n = max((item.n for item in stats), default=0)
    return render_template("quiz_admin/analysis.html", test=test, stats=stats,
                           bars=chart_bars(stats), flag_labels=FLAG_LABELS,
                           attempts=first_attempt_counts(db.session).get(test_id, 0), n=n)


# -- overrides -------------------------------------------------------------------------

NOT_IN_SCOPE = "在您管理的组织范围内没有这个党员编号"
HISTORY_LIMIT = 300


def _overrides() -> list[tuple[TestOverride, Member, QuizTest]]:
    rows = db.session.execute(
        select(TestOverride, Member, QuizTest)
        .join(Member, Member.id == TestOverride.member_id)
        .join(QuizTest, QuizTest.id == TestOverride.test_id)
        .where(Member.org_id.in_(subtree_ids(scope_root())))
        .order_by(TestOverride.created_at.desc(), TestOverride.id.desc()))
    return [(o, m, t) for o, m, t in rows]


@dataclass
class History:
    """One member's changes to one test's override, oldest first."""

    member: Member
    test: QuizTest
    changes: list[tuple[TestOverrideChange, str]] = field(default_factory=list)  # with who


def _history() -> list[History]:
    """Every version of the overrides in the admin's subtree, grouped by member and test,
    the most recently changed first."""
    changer = aliased(Member)
    rows = db.session.execute(
        select(TestOverrideChange, Member, QuizTest, changer)
        .join(Member, Member.id == TestOverrideChange.member_id)
        .join(QuizTest, QuizTest.id == TestOverrideChange.test_id)
        .outerjoin(changer, changer.id == TestOverrideChange.changed_by)
        .where(Member.org_id.in_(subtree_ids(scope_root())))
        .order_by(TestOverrideChange.changed_at.desc(), TestOverrideChange.id.desc())
        .limit(HISTORY_LIMIT))
    groups: dict[tuple[int, str], History] = {}
    for change, member, test, by in rows:
        group = groups.setdefault((member.id, test.id), History(member, test))
        group.changes.insert(0, (change, member_label(by) if by is not None else "命令行"))
    return list(groups.values())


def _page(status: int = 200, error: str | None = None) -> Any:
    tests = list(db.session.scalars(select(QuizTest).order_by(QuizTest.id)))
    return render_template("quiz_admin/overrides.html", overrides=_overrides(), tests=tests,
                           history=_history(), error=error, form=request.form,
                           local=_local), status


def _local(moment: dt.datetime | None) -> str:
    """A naive UTC moment as Beijing time."""
    if moment is None:
        return "—"
    return moment.replace(tzinfo=dt.UTC).astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def _int(name: str) -> int:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return 0
    if len(raw) > 9:  # beyond any sensible number, and beyond the column
        raise Refused(400, f"延长时间和增加次数不能超过 {MAX_EXTRA}")
    try:
        return int(raw)
    except ValueError:
        raise Refused(400, "延长时间和增加次数应为整数") from None


def _moment(name: str) -> dt.datetime | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.datetime.fromisoformat(raw)  # naive: Asia/Shanghai (see to_utc)
    except ValueError:
        raise Refused(400, "时间应写成“年-月-日 时:分”，例如 2026-12-01 09:00") from None


def member_in_scope(code: str) -> Member | None:
    """The member with ``code`` if inside the admin's subtree; an unknown code and one
    outside the subtree look the same, so the form can't be used to find out who exists."""
    member = db.session.scalar(select(Member).where(Member.code == code)) if code else None
    return member if member is not None and in_scope(member.org) else None


@bp.get("/overrides/")
@admin_required
def overrides() -> Any:
    return _page()


@bp.post("/overrides/")
@admin_required
def overrides_add() -> Any:
    member = member_in_scope((request.form.get("member_code") or "").strip()[:32])
    if member is None:
        return _page(404, NOT_IN_SCOPE)
    test = db.session.get(QuizTest, (request.form.get("test_id") or "").strip()[:100])
    if test is None:
        return _page(404, "没有这个测试")
    try:
        opens_at, closes_at = _moment("opens_at"), _moment("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            raise Refused(400, "截止时间应晚于开始时间")
        add_override(db.session, test_id=test.id, member_id=member.id,
                     reason=request.form.get("reason") or "",
                     extra_minutes=_int("extra_minutes"), extra_attempts=_int("extra_attempts"),
                     opens_at=opens_at, closes_at=closes_at, created_by=current_user.id)
    except Refused as exc:
        db.session.rollback()
        return _page(exc.status, exc.message)
    flash(f"已为 {member.name}（{member.code}）设置“{test.title}”的调整", "ok")
    return redirect(url_for(".overrides"))


@bp.post("/overrides/<int:override_id>/remove")
@admin_required
def overrides_remove(override_id: int) -> Any:
    override = db.session.get(TestOverride, override_id)
    member = db.session.get(Member, override.member_id) if override is not None else None
    if override is None or member is None or not in_scope(member.org):
        return _page(404, "没有找到这项调整")
    try:
        remove_override(db.session, override, reason=request.form.get("reason") or "",
                        removed_by=current_user.id)
    except Refused as exc:
        db.session.rollback()
        return _page(exc.status, exc.message)
    flash(f"已取消 {member.name}（{member.code}）的这项调整", "ok")
    return redirect(url_for(".overrides"))
