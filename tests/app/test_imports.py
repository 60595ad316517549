"""Organization and member imports: all or nothing, idempotent, scoped, fast paths."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from learning_app.auth.activation import activate, issue
from learning_app.credits.ledger import award
from learning_app.errors import RowProblem, SheetRejected
from learning_app.extensions import db
from learning_app.imports import ImportResult, Scope, import_table
from learning_app.imports.readers import read_table
from learning_app.imports.scope import Importer
from learning_app.imports.spec import MEMBER_COLUMNS, ORG_COLUMNS
from learning_app.models import AuditEvent, CreditEntry, Member, Membership, Organization
from learning_app.models.types import local_today, utcnow
from tests.app.conftest import MakeMember, Tree, csrf_from, login

ORG_HEADER = ["组织编码", "组织名称", "组织类别", "上级组织编码", "排序"]
MEMBER_HEADER = ["党员编号", "姓名", "手机号", "所在组织编码", "类别", "免学原因", "状态",
                 "入党日期"]
TREE_ROWS = [
    ["QC", "中共青川县委", "县委", "", "0"],
    ["QC-LQ", "龙泉镇党委", "乡镇党委", "QC", "0"],
    ["QC-LQ-01", "杨柳湾村党支部", "村党支部", "QC-LQ", "0"],
    ["QC-LQ-02", "石门村党支部", "村党支部", "QC-LQ", "0"],
    ["QC-SQ", "石桥乡党委", "乡镇党委", "QC", "0"],
    ["QC-SQ-01", "青杠坪村党支部", "村党支部", "QC-SQ", "0"],
    ["QC-SQ-02", "白果村党支部", "村党支部", "QC-SQ", "0"],
    ["QC-D-RS", "县人社局党组", "县直部门党组织", "QC", "0"],
]


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def run(kind: str, header: list[str], rows: list[list[str]], *, scope: Scope | None = None,
        encoding: str = "utf-8") -> ImportResult:
    table = read_table(csv_bytes(header, rows, encoding), f"{kind}.csv")
    return import_table(db.session, kind, table, scope=scope)


def problems_of(kind: str, header: list[str], rows: list[list[str]], **kwargs: Any
                ) -> list[RowProblem]:
    with pytest.raises(SheetRejected) as caught:
        run(kind, header, rows, **kwargs)
    return caught.value.problems


def counts(result: ImportResult) -> tuple[int, int, int]:
    return result.added, result.updated, result.unchanged


def member_row(code: str = "N001", name: str = "张明华", phone: str = "13981234567",
               org: str = "QC-LQ-01", category: str = "", exempt: str = "", status: str = "",
               joined: str = "") -> list[str]:
    return [code, name, phone, org, category, exempt, status, joined]


def org(code: str) -> Organization:
    found = db.session.scalar(select(Organization).where(Organization.code == code))
    assert found is not None
    return found


def member(code: str) -> Member:
    found = db.session.scalar(select(Member).where(Member.code == code))
    assert found is not None
    return found


def state() -> tuple[list[Any], ...]:
    """Everything an import may write, to show that a rejected one wrote nothing."""
    db.session.expire_all()
    return (
        db.session.execute(select(Organization.id, Organization.code, Organization.name,
                                  Organization.kind, Organization.parent_id, Organization.path,
                                  Organization.depth, Organization.sort_order)
                           .order_by(Organization.id)).all(),
        db.session.execute(select(Member.id, Member.code, Member.name, Member.phone,
                                  Member.category, Member.exempt, Member.exempt_reason,
                                  Member.status, Member.org_id).order_by(Member.id)).all(),
        db.session.execute(select(Membership.id, Membership.member_id, Membership.org_id,
                                  Membership.started_on, Membership.ended_on)
                           .order_by(Membership.id)).all(),
    )


# ------------------------------------------------------------------ organizations

def test_orgs_import_into_an_empty_database_children_before_parents(ctx: Flask) -> None:
    rows = list(reversed(TREE_ROWS))  # every child comes before its parent
    assert counts(run("orgs", ORG_HEADER, rows)) == (8, 0, 0)
    county, township, village = org("QC"), org("QC-LQ"), org("QC-LQ-01")
    assert county.parent_id is None and county.path == f"/{county.id}/" and county.depth == 0
    assert township.parent_id == county.id and township.depth == 1
    assert village.path == f"/{county.id}/{township.id}/{village.id}/" and village.depth == 2
    assert village.kind == "village" and org("QC-D-RS").kind == "department"


def test_org_reimport_changes_nothing_and_a_changed_row_updates(tree: Tree) -> None:
    before = state()
    assert counts(run("orgs", ORG_HEADER, TREE_ROWS)) == (0, 0, 8)
    assert state() == before
    changed = [row[:] for row in TREE_ROWS]
    changed[3] = ["QC-LQ-02", "石门村党总支", "党总支", "QC-LQ", "2"]
    changed.append(["QC-LQ-03", "回龙村党支部", "村党支部", "QC-LQ", "3"])
    assert counts(run("orgs", ORG_HEADER, changed)) == (1, 1, 7)
    updated = org("QC-LQ-02")
    assert (updated.name, updated.kind, updated.sort_order) == ("石门村党总支", "general_branch", 2)
    added = org("QC-LQ-03")
    assert added.path == org("QC-LQ").path + f"{added.id}/" and added.depth == 2
    assert counts(run("orgs", ORG_HEADER, changed)) == (0, 0, 9)


def test_org_parent_change_moves_the_whole_subtree(tree: Tree) -> None:
    # 石桥乡 with its two villages moves under 龙泉镇; the villages aren't in the file.
    assert counts(run("orgs", ORG_HEADER, [["QC-SQ", "石桥乡党委", "乡镇党委", "QC-LQ", ""]])
                  ) == (0, 1, 0)
    township, moved, village = org("QC-LQ"), org("QC-SQ"), org("QC-SQ-02")
    assert moved.parent_id == township.id and moved.path == f"{township.path}{moved.id}/"
    assert moved.depth == 2
    assert village.path == f"{moved.path}{village.id}/" and village.depth == 3
    assert township.contains(village)
    assert org("QC-LQ-01").path == f"{township.path}{org('QC-LQ-01').id}/"  # untouched


def test_org_file_without_sort_column_keeps_the_sort_order(tree: Tree) -> None:
    tree["QC-LQ-01"].sort_order = 7
    db.session.commit()
    header = ORG_HEADER[:4]
    assert counts(run("orgs", header, [row[:4] for row in TREE_ROWS])) == (0, 0, 8)
    assert org("QC-LQ-01").sort_order == 7


def test_org_problems_are_all_reported_with_row_and_column(tree: Tree) -> None:
    rows = [
        ["QC-LQ-03", "回龙村党支部", "村党支部", "QC-XX", ""],      # row 2: unknown parent
        ["QC-LQ-04", "", "村党支部", "QC-LQ", ""],                 # row 3: missing name
        ["QC-LQ-05", "新村党支部", "村委会", "QC-LQ", ""],          # row 4: unknown kind
        ["QC-LQ-03", "回龙村党支部", "村党支部", "QC-LQ", ""],      # row 5: duplicate of row 2
        ["QC LQ 06", "坏编码党支部", "村党支部", "QC-LQ", "第一"],   # row 6: bad code, bad sort
        ["QC-NEW", "另一个县委", "县委", "", ""],                   # row 7: a second root
        ["", "无编码党支部", "村党支部", "QC-LQ", ""],               # row 8: missing code
    ]
    problems = problems_of("orgs", ORG_HEADER, rows)
    assert RowProblem(2, "上级组织编码", "没有编码为 QC-XX 的组织") in problems
    assert RowProblem(3, "组织名称", "必填") in problems
    assert (4, "组织类别") in [(p.row, p.column) for p in problems]
    assert "村委会" in next(p.message for p in problems if p.row == 4)
    assert RowProblem(5, "组织编码", "组织编码 QC-LQ-03 与第2行重复") in problems
    assert {(6, "组织编码"), (6, "排序"), (7, "上级组织编码"), (8, "组织编码")} <= {
        (p.row, p.column) for p in problems}
    assert [p.row for p in problems] == sorted(p.row for p in problems)


def test_org_missing_column_is_reported_on_row_one(ctx: Flask) -> None:
    problems = problems_of("orgs", ["组织编码", "组织名称", "上级组织编码"],
                           [["QC", "中共青川县委", ""]])
    assert problems == [RowProblem(1, "组织类别", "缺少这一列（请核对表头）")]


def test_org_cycles_are_rejected(tree: Tree) -> None:
    rows = [
        ["QC-LQ", "龙泉镇党委", "乡镇党委", "QC-LQ-01", ""],  # under its own village
        ["QC-X1", "甲", "党支部", "QC-X2", ""],
        ["QC-X2", "乙", "党支部", "QC-X1", ""],
        ["QC-X3", "丙", "党支部", "QC-X3", ""],
    ]
    problems = problems_of("orgs", ORG_HEADER, rows)
    by_row = {p.row: p for p in problems}
    assert set(by_row) == {2, 3, 4, 5}
    assert by_row[2].column == "上级组织编码" and "循环" in by_row[2].message
    assert "QC-LQ → QC-LQ-01 → QC-LQ" in by_row[2].message
    assert "QC-X1 → QC-X2 → QC-X1" in by_row[3].message
    assert by_row[5].message == "上级组织不能是它自己"


def test_org_admin_scope_for_org_rows(tree: Tree) -> None:
    scope = Scope.of(tree["QC-LQ"])
    rows = [
        ["QC-LQ-03", "回龙村党支部", "村党支部", "QC-LQ", ""],    # fine: inside
        ["QC-SQ-03", "新建村党支部", "村党支部", "QC-SQ", ""],    # parent outside
        ["QC-SQ-01", "青杠坪村党支部", "村党支部", "QC-LQ", ""],  # pulls an org in from outside
        ["QC-LQ", "龙泉镇党委", "乡镇党委", "QC-SQ", ""],         # moves the scope itself
    ]
    problems = problems_of("orgs", ORG_HEADER, rows, scope=scope)
    assert {(p.row, p.column) for p in problems} == {
        (3, "上级组织编码"), (4, "组织编码"), (5, "上级组织编码")}
    assert "不在您管理的范围（龙泉镇党委）内" in problems[0].message
    assert counts(run("orgs", ORG_HEADER, rows[:1], scope=scope)) == (1, 0, 0)


# ------------------------------------------------------------------------ members

def test_new_members_are_not_yet_activated_and_get_a_membership(tree: Tree) -> None:
    rows = [
        member_row("N001", joined="2015-07-01"),
        member_row("N002", "李秀英", "139-8123-4568", "QC-SQ-01", "支部书记及班子成员",
                   "年老体弱", "", ""),
        member_row("N003", "王建国", "", "QC-LQ-02", "入党积极分子", status="在册"),
        member_row("N004", "赵德明", "", "QC-LQ-02", status="去世"),
    ]
    assert counts(run("members", MEMBER_HEADER, rows)) == (4, 0, 0)
    first, second, third, gone = (member(code) for code in ("N001", "N002", "N003", "N004"))
    assert first.password_hash is None  # no password until an activation code is used
    assert (first.role, first.status, first.category) == ("member", "active", "member")
    assert second.phone == "13981234568" and second.category == "secretary"
    assert second.exempt and second.exempt_reason == "年老体弱"
    assert third.phone is None and third.category == "activist" and not third.exempt
    assert gone.status == "deceased" and gone.org_id == tree["QC-LQ-02"].id
    memberships = {m.member_id: m for m in db.session.scalars(select(Membership))}
    assert memberships[first.id].started_on == dt.date(2015, 7, 1)
    assert memberships[first.id].org_id == tree["QC-LQ-01"].id
    assert memberships[second.id].started_on == local_today()  # no date: today
    assert gone.id not in memberships  # off the roll: no membership to open


def test_an_imported_member_signs_in_only_after_activation(client: FlaskClient,
                                                         tree: Tree) -> None:
    """The phone's last six digits were the guessable initial password (issue 11)."""
    run("members", MEMBER_HEADER, [member_row("N001", phone="13981234567")])
    token = csrf_from(client.get("/app/login").get_data(as_text=True))
    for guess in ("234567", "81234567", "13981234567"):
        response = client.post("/app/login", data={"login": "N001", "password": guess,
                                                   "csrf_token": token})
        assert response.status_code == 401
    (notice,) = issue(db.session, [member("N001")], by=None, now=utcnow())
    activate(db.session, "13981234567", notice.code, "Qingchuan-2026", now=utcnow())
    response = client.post("/app/login", data={"login": "N001", "password": "Qingchuan-2026",
                                               "csrf_token": token})
    assert response.status_code == 302 and response.location.endswith("/app/")


def test_member_reimport_changes_nothing_and_a_changed_row_updates(tree: Tree) -> None:
    rows = [member_row("N001"), member_row("N002", "李秀英", "13981234568")]
    run("members", MEMBER_HEADER, rows)
    before = state()
    assert counts(run("members", MEMBER_HEADER, rows)) == (0, 0, 2)
    assert state() == before
    rows[1] = member_row("N002", "李秀英", "13981234569", exempt="长期外出")
    assert counts(run("members", MEMBER_HEADER, rows)) == (0, 1, 1)
    changed = member("N002")
    assert changed.phone == "13981234569" and changed.exempt_reason == "长期外出"
    assert changed.exempt


def test_columns_left_out_keep_their_values(tree: Tree) -> None:
    run("members", MEMBER_HEADER, [member_row("N001", category="入党积极分子", exempt="重病")])
    result = run("members", ["党员编号", "姓名", "所在组织编码"], [["N001", "张明华", "QC-LQ-01"]])
    assert counts(result) == (0, 0, 1)
    kept = member("N001")
    assert kept.phone == "13981234567" and kept.category == "activist"
    assert kept.exempt_reason == "重病"


def test_two_members_may_swap_phones(tree: Tree) -> None:
    run("members", MEMBER_HEADER, [member_row("N001", phone="13981234567"),
                                   member_row("N002", phone="13981234568")])
    result = run("members", MEMBER_HEADER, [member_row("N001", phone="13981234568"),
                                            member_row("N002", phone="13981234567")])
    assert counts(result) == (0, 2, 0)
    assert (member("N001").phone, member("N002").phone) == ("13981234568", "13981234567")


def test_member_org_change_is_a_transfer_and_credit_stays(tree: Tree,
                                                          make_member: MakeMember) -> None:
    someone = make_member("QC-LQ-01", since=dt.date(2020, 1, 1))
    award(db.session, member_id=someone.id, org_id=tree["QC-LQ-01"].id, source_type="correction",
          source_key="correction:test", hours=Decimal("2"), note="测试")
    db.session.commit()
    result = run("members", MEMBER_HEADER, [
        member_row(someone.code, someone.name, someone.phone or "", "QC-SQ-01")])
    assert counts(result) == (0, 1, 0) and result.transferred == 1
    today = local_today()
    history = list(db.session.scalars(select(Membership).where(
        Membership.member_id == someone.id).order_by(Membership.started_on)))
    assert [(m.org_id, m.started_on, m.ended_on) for m in history] == [
        (tree["QC-LQ-01"].id, dt.date(2020, 1, 1), today - dt.timedelta(days=1)),
        (tree["QC-SQ-01"].id, today, None)]
    assert member(someone.code).org_id == tree["QC-SQ-01"].id
    entry = db.session.scalar(select(CreditEntry).where(CreditEntry.member_id == someone.id))
    assert entry is not None and entry.org_id == tree["QC-LQ-01"].id


def test_same_day_correction_moves_the_new_membership(tree: Tree) -> None:
    run("members", MEMBER_HEADER, [member_row("N001", org="QC-LQ-01")])
    run("members", MEMBER_HEADER, [member_row("N001", org="QC-LQ-02")])
    history = list(db.session.scalars(select(Membership)))
    assert [(m.org_id, m.ended_on) for m in history] == [(tree["QC-LQ-02"].id, None)]


def test_leaving_the_roll_closes_the_membership(tree: Tree, make_member: MakeMember) -> None:
    someone = make_member("QC-LQ-01")
    run("members", MEMBER_HEADER, [
        member_row(someone.code, someone.name, someone.phone or "", "QC-LQ-01", status="转出")])
    assert member(someone.code).status == "transferred"
    assert db.session.scalar(select(Membership.ended_on)) == local_today()


def test_member_problems_are_all_reported(tree: Tree, make_member: MakeMember) -> None:
    make_member("QC-SQ-01", phone="13900009999")
    rows = [
        member_row("N001", phone="13981234567"),                     # 2: fine
        member_row("N002", phone="1398123456"),                      # 3: ten digits
        member_row("N003", phone="12981234567"),                     # 4: second digit 2
        member_row("N004", phone="13981234567"),                     # 5: same as row 2
        member_row("N005", phone="13900009999"),                     # 6: another member's
        member_row("N006", phone="", org="QC-XX"),                   # 7: unknown org
        member_row("N007", phone="", category="党员"),               # 8: unknown category
        member_row("N008", phone="", status="停止党籍"),             # 9: unknown status
        member_row("N001", phone=""),                                # 10: duplicate code
        member_row("", name="", phone="", org="", exempt="长期外出"),  # 11: missing values
        member_row("N009", phone="", joined="2020-13-01"),           # 12: bad date
        member_row("N010", phone="", joined="2999-01-01"),           # 13: future date
    ]
    problems = problems_of("members", MEMBER_HEADER, rows)
    where = {(p.row, p.column) for p in problems}
    assert 2 not in {p.row for p in problems}
    assert {(3, "手机号"), (4, "手机号"), (8, "类别"), (9, "状态"), (11, "党员编号"),
            (11, "姓名"), (11, "所在组织编码"), (12, "入党日期"), (13, "入党日期")} <= where
    assert RowProblem(5, "手机号", "手机号 13981234567 与第2行重复") in problems
    assert RowProblem(6, "手机号", "手机号 13900009999 已被党员 M00001（党员1）使用") in problems
    assert RowProblem(7, "所在组织编码", "没有编码为 QC-XX 的组织") in problems
    assert RowProblem(10, "党员编号", "党员编号 N001 与第2行重复") in problems


def test_member_missing_columns(tree: Tree) -> None:
    problems = problems_of("members", ["党员编号", "手机号"], [["N001", "13981234567"]])
    assert problems == [RowProblem(1, "姓名", "缺少这一列（请核对表头）"),
                        RowProblem(1, "所在组织编码", "缺少这一列（请核对表头）")]


def test_one_bad_row_among_good_ones_writes_nothing(tree: Tree, make_member: MakeMember) -> None:
    someone = make_member("QC-LQ-01")
    before = state()
    rows = [member_row(f"N{n:03d}", phone=f"1398123{n:04d}") for n in range(1, 50)]
    rows.append(member_row(someone.code, "改了名字", someone.phone or "", "QC-SQ-01"))
    rows.append(member_row("N999", phone="", org="QC-XX"))
    problems = problems_of("members", MEMBER_HEADER, rows)
    assert [p.row for p in problems] == [52]
    assert state() == before


def test_a_failure_while_writing_rolls_everything_back(tree: Tree, make_member: MakeMember,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    someone = make_member("QC-LQ-01")
    before = state()

    def explode(*_args: Any) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr("learning_app.imports.roll.apply", explode)
    with pytest.raises(RuntimeError):
        run("members", MEMBER_HEADER, [
            member_row("N001"), member_row(someone.code, "新名字", "", "QC-SQ-01")])
    assert state() == before


def test_member_scope_for_an_org_admin(tree: Tree, make_member: MakeMember) -> None:
    outsider = make_member("QC-SQ-01")
    scope = Scope.of(tree["QC-LQ"])
    rows = [member_row("N001", org="QC-LQ-02"),
            member_row("N002", phone="", org="QC-SQ-01"),
            member_row(outsider.code, outsider.name, "", "QC-LQ-01")]
    problems = problems_of("members", MEMBER_HEADER, rows, scope=scope)
    assert [(p.row, p.column) for p in problems] == [(3, "所在组织编码"), (4, "党员编号")]
    assert counts(run("members", MEMBER_HEADER, rows[:1], scope=scope)) == (1, 0, 0)


# -------------------------------------------------------------------- file formats

def test_gbk_csv_as_excel_writes_it(tree: Tree) -> None:
    data = csv_bytes(MEMBER_HEADER, [member_row("N001", "欧阳娟", category="支部书记及班子成员",
                                                joined="2015/7/1")], "gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert counts(import_table(db.session, "members", read_table(data, "党员.csv"))) == (1, 0, 0)
    assert member("N001").name == "欧阳娟" and member("N001").category == "secretary"
    assert db.session.scalar(select(Membership.started_on)) == dt.date(2015, 7, 1)


def test_utf8_bom_csv_with_spaces_and_blank_rows(tree: Tree) -> None:
    text = ("\ufeff 党员编号 ,姓名, 手机号 ,所在组织编码\r\n"
            " N001 , 张明华 ,13981234567, QC-LQ-01 \r\n"
            ",,,\r\n"
            "N002,李秀英,,QC-LQ-02\r\n")
    table = read_table(text.encode("utf-8"), "members.csv")
    assert table.columns == ["党员编号", "姓名", "手机号", "所在组织编码"]
    assert [row.number for row in table.rows] == [2, 4]
    assert counts(import_table(db.session, "members", table)) == (2, 0, 0)
    assert member("N001").name == "张明华" and member("N001").org_id == tree["QC-LQ-01"].id


def test_xlsx_numbers_dates_and_row_numbers(tree: Tree, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(MEMBER_HEADER)
    sheet.append(["N001", "张明华", 13981234567, "QC-LQ-01", None, None, None,
                  dt.datetime(2015, 7, 1)])
    sheet.append([])  # blank rows are skipped, but row numbers keep counting
    sheet.append(["N002", "李秀英", 13981234568.0, "QC-LQ-02", "入党积极分子"])
    sheet.append(["N003", "王建国", 123, "QC-LQ-02"])
    book.create_sheet("其他")["A1"] = "只读第一个工作表"
    path = tmp_path / "党员.xlsx"
    book.save(path)
    problems = problems_of_table(path.read_bytes(), path.name)
    assert problems == [RowProblem(5, "手机号", "“123”不是有效的11位手机号")]
    sheet.delete_rows(5)
    book.save(path)
    assert counts(import_table(db.session, "members",
                               read_table(path.read_bytes(), path.name))) == (2, 0, 0)
    assert member("N001").phone == "13981234567" and member("N002").category == "activist"
    assert db.session.scalar(select(Membership.started_on).where(
        Membership.member_id == member("N001").id)) == dt.date(2015, 7, 1)


def problems_of_table(data: bytes, name: str) -> list[RowProblem]:
    with pytest.raises(SheetRejected) as caught:
        import_table(db.session, "members", read_table(data, name))
    return caught.value.problems


def test_unreadable_files_are_rejected_on_row_one(ctx: Flask) -> None:
    for data, name in ((b"PK\x03\x04 not really a zip", "x.xlsx"),
                       (b"\xd0\xcf\x11\xe0 old excel", "x.xls"), (b"", "x.csv")):
        with pytest.raises(SheetRejected) as caught:
            read_table(data, name)
        assert caught.value.problems[0].row == 1


# ------------------------------------------------------------------- CLI and page

def test_cli_imports_and_rejects(app: Flask, tree: Tree, tmp_path: Path) -> None:
    good = tmp_path / "党员.csv"
    good.write_bytes(csv_bytes(MEMBER_HEADER, [
        member_row(f"N{n:05d}", phone=f"139{n:08d}") for n in range(1, 2501)]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-members", str(good)])
    assert result.exit_code == 0, result.output
    assert "党员：新增 2500，更新 0，未变 0" in result.output
    assert db.session.scalar(select(func.count(Member.id))) == 2500

    bad = tmp_path / "组织.csv"
    bad.write_bytes(csv_bytes(ORG_HEADER, [["QC-LQ-09", "新村党支部", "村党支部", "QC-XX", ""],
                                           ["QC-LQ-10", "", "村党支部", "QC-LQ", ""]]))
    result = runner.invoke(args=["import-orgs", str(bad)])
    assert result.exit_code != 0
    assert "第2行 上级组织编码：没有编码为 QC-XX 的组织" in result.output
    assert "第3行 组织名称：必填" in result.output


def admin_page_token(client: FlaskClient) -> str:
    page = client.get("/app/admin/imports/")
    assert page.status_code == 200
    return csrf_from(page.get_data(as_text=True))


def upload(client: FlaskClient, token: str, kind: str, data: bytes, name: str) -> Any:
    return client.post("/app/admin/imports/", data={
        "csrf_token": token, "kind": kind, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


def test_admin_page_upload(client: FlaskClient, tree: Tree, make_member: MakeMember) -> None:
    login(client, make_member(role="county_admin"))
    token = admin_page_token(client)
    data = csv_bytes(MEMBER_HEADER, [member_row("N001"), member_row("N002", phone="")])
    response = upload(client, token, "members", data, "党员.csv")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "导入成功" in html and "新增 <strong>2</strong>" in html
    assert member("N002").org_id == tree["QC-LQ-01"].id

    response = upload(client, token, "members", csv_bytes(MEMBER_HEADER, [
        member_row("N003", org="QC-XX")]), "党员.csv")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "没有编码为 QC-XX 的组织" in html and "第2行" in html

    response = client.post("/app/admin/imports/", data={"kind": "members"},
                           content_type="multipart/form-data")
    assert response.status_code == 400  # no CSRF token


def test_org_admin_upload_outside_scope_is_rejected(client: FlaskClient, tree: Tree,
                                                   make_member: MakeMember) -> None:
    login(client, make_member(role="org_admin", scope="QC-LQ"))
    token = admin_page_token(client)
    before = state()
    data = csv_bytes(MEMBER_HEADER, [member_row("N001"),
                                     member_row("N002", phone="", org="QC-SQ-01")])
    response = upload(client, token, "members", data, "党员.csv")
    assert response.status_code == 422
    assert "组织 QC-SQ-01 不在您管理的范围（龙泉镇党委）内" in response.get_data(as_text=True)
    assert state() == before
    response = upload(client, token, "orgs", csv_bytes(ORG_HEADER, [
        ["QC-LQ-03", "回龙村党支部", "村党支部", "QC-LQ", ""]]), "组织.csv")
    assert response.status_code == 200 and org("QC-LQ-03").parent_id == tree["QC-LQ"].id


def test_members_cannot_reach_the_page(client: FlaskClient, make_member: MakeMember) -> None:
    login(client, make_member())
    assert client.get("/app/admin/imports/").status_code == 403
    assert client.get("/app/admin/imports/template/members.xlsx").status_code == 403


@pytest.mark.parametrize(("kind", "columns", "title"), [
    ("orgs", ORG_COLUMNS, "组织"), ("members", MEMBER_COLUMNS, "党员")])
def test_template_download_is_an_xlsx_that_imports(client: FlaskClient, tree: Tree,
                                                   make_member: MakeMember, kind: str,
                                                   columns: Any, title: str) -> None:
    login(client, make_member(role="county_admin"))
    response = client.get(f"/app/admin/imports/template/{kind}.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames == [title, "说明"]
    rows = list(book[title].iter_rows(values_only=True))
    assert list(rows[0]) == [column.name for column in columns]
    assert len(rows) == 2
    notes = [row for row in book["说明"].iter_rows(values_only=True) if row and row[0]]
    assert [column.name for column in columns] == [row[0] for row in notes[1:len(columns) + 1]]
    # The example row is valid against the test tree: the template imports as is.
    token = admin_page_token(client)
    response = upload(client, token, kind, response.data, f"{title}导入模板.xlsx")
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    assert "新增 <strong>1</strong>" in response.get_data(as_text=True)


# ------------------------------------------------ rights, probing, audit (issue 11)

def import_as(actor: Member | None, rows: list[list[str]], scope: str | None = None
              ) -> ImportResult:
    table = read_table(csv_bytes(MEMBER_HEADER, rows), "members.csv")
    return import_table(db.session, "members", table,
                        scope=Scope.of(org(scope)) if scope else None,
                        actor=Importer.of(actor) if actor else None)


def refused_rows(actor: Member | None, rows: list[list[str]], scope: str | None = None
                 ) -> list[RowProblem]:
    with pytest.raises(SheetRejected) as caught:
        import_as(actor, rows, scope)
    return caught.value.problems


def same_row(someone: Member, **changes: str) -> list[str]:
    """``someone``'s row as the database holds it, with ``changes``."""
    values = {"code": someone.code, "name": someone.name, "phone": someone.phone or "",
              "org": "QC-LQ-01"} | changes
    return member_row(values["code"], values["name"], values["phone"], values["org"],
                      exempt=values.get("exempt", ""))


def test_an_import_changes_no_account_ranked_as_high_as_the_importer(
        tree: Tree, make_member: MakeMember) -> None:
    """A branch secretary could rewrite the county admin's phone (whose membership is in
    her branch), a fellow admin's name, or exempt herself, by uploading a roster."""
    county = make_member(role="county_admin")
    secretary = make_member(role="org_admin", scope="QC-LQ")
    fellow = make_member(role="org_admin", scope="QC-LQ")
    plain = make_member()
    before = state()
    problems = refused_rows(secretary, [
        same_row(county, phone="13812345678"), same_row(fellow, name="改名"),
        same_row(secretary, exempt="长期外出"), same_row(plain, name="李四")], "QC-LQ")
    assert [(p.row, p.column) for p in problems] == [(2, "党员编号"), (3, "党员编号"),
                                                     (4, "党员编号")]
    assert problems[0].message == (f"党员 {county.code}：这名党员的账号权限不低于您，不能由您"
                                   "办理，请联系上级管理员")
    assert problems[2].message == (f"党员 {secretary.code}：不能对自己的记录进行这项操作，"
                                   "请由上级管理员办理")
    assert state() == before
    # Rows that change nothing pass: the whole branch, importer included, re-imports as is.
    result = import_as(secretary, [same_row(county), same_row(fellow), same_row(secretary),
                                   same_row(plain, name="李四")], "QC-LQ")
    assert counts(result) == (0, 1, 3) and member(plain.code).name == "李四"
    # The county admin manages the secretary, but neither another county admin nor herself.
    other_county = make_member(role="county_admin")
    assert counts(import_as(county, [same_row(secretary, name="王书记")])) == (0, 1, 0)
    problems = refused_rows(county, [same_row(other_county, name="x"),
                                     same_row(county, org="QC-LQ-02")])
    assert [p.row for p in problems] == [2, 3]
    # The command line (the server's operator) has no rank to respect.
    assert counts(import_as(None, [same_row(county, name="县管理员")])) == (0, 1, 0)


def test_org_admin_upload_touching_a_higher_account_is_refused(
        client: FlaskClient, tree: Tree, make_member: MakeMember) -> None:
    county = make_member(role="county_admin")
    login(client, make_member(role="org_admin", scope="QC-LQ"))
    token = admin_page_token(client)
    response = upload(client, token, "members", csv_bytes(MEMBER_HEADER, [
        same_row(county, phone="13812345678")]), "党员.csv")
    assert response.status_code == 422
    assert "这名党员的账号权限不低于您" in response.get_data(as_text=True)
    assert member(county.code).phone == county.phone


def test_import_messages_never_name_a_member_outside_the_subtree(
        tree: Tree, make_member: MakeMember) -> None:
    secretary = make_member(role="org_admin", scope="QC-LQ")
    township = make_member("QC-SQ-01", name="外乡党员", phone="13900008888")
    department = make_member("QC-D-RS", name="局机关党员", phone="13900007777")
    neighbour = make_member("QC-LQ-02", name="本镇党员", phone="13900006666")
    problems = refused_rows(secretary, [
        member_row("N001", phone="13900008888"), member_row("N002", phone="13900007777"),
        member_row("N003", phone="13900006666")], "QC-LQ")
    assert [str(p) for p in problems] == [
        "第2行 手机号：手机号 13900008888 已被其他党员使用",
        "第3行 手机号：手机号 13900007777 已被其他党员使用",
        f"第4行 手机号：手机号 13900006666 已被党员 {neighbour.code}（本镇党员）使用"]
    # Naming an outside code beside the number tells nothing about whose number it is.
    for outsider in (township, department):
        problems = refused_rows(secretary, [same_row(outsider, phone=""),
                                            member_row("N009", phone="13900008888")], "QC-LQ")
        assert [str(p) for p in problems] == [
            f"第2行 党员编号：党员 {outsider.code} 现属组织不在您管理的范围（龙泉镇党委）内",
            "第3行 手机号：手机号 13900008888 已被其他党员使用"]
        assert not any(name in str(p) for p in problems for name in ("外乡", "局机关", "石桥"))


def test_imports_are_audited_with_counts_and_refusals_with_their_reason(
        client: FlaskClient, app: Flask, tree: Tree, make_member: MakeMember,
        tmp_path: Path) -> None:
    admin = make_member(role="org_admin", scope="QC-LQ")
    login(client, admin)
    token = admin_page_token(client)
    data = csv_bytes(MEMBER_HEADER, [member_row("N001"), member_row("N002", phone="")])
    assert upload(client, token, "members", data, "党员.csv").status_code == 200
    assert upload(client, token, "members", csv_bytes(MEMBER_HEADER, [
        member_row("N003", org="QC-SQ-01")]), "外乡.csv").status_code == 422
    path = tmp_path / "组织.csv"
    path.write_bytes(csv_bytes(ORG_HEADER, [["QC-LQ-03", "回龙村党支部", "村党支部", "QC-LQ", ""]]))
    assert app.test_cli_runner().invoke(args=["import-orgs", str(path)]).exit_code == 0
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import")
                                .order_by(AuditEvent.id)).all()
    assert [(e.actor_id, e.target_member_id, e.org_id) for e in events] == [
        (admin.id, None, tree["QC-LQ"].id), (admin.id, None, tree["QC-LQ"].id), (None, None, None)]
    assert events[0].detail == "党员：新增 2，更新 0，未变 0；文件 党员.csv"
    assert events[0].after == {"kind": "members", "file": "党员.csv", "rows": 2, "added": 2,
                               "updated": 0, "unchanged": 0, "transferred": 0}
    assert events[1].detail == ("未导入（党员）：外乡.csv，1个问题；第2行 所在组织编码："
                                "组织 QC-SQ-01 不在您管理的范围（龙泉镇党委）内")
    assert events[2].actor == "命令行"
    assert events[2].detail == "组织：新增 1，更新 0，未变 0；文件 组织.csv"


def test_a_hostile_file_name_is_never_echoed_raw(client: FlaskClient, tree: Tree,
                                                 make_member: MakeMember) -> None:
    login(client, make_member(role="county_admin"))
    token = admin_page_token(client)
    hostile = '..\\..\\<img src=x onerror=alert(1)>\x1b[31m"\u202egpj.csv'
    for data in (csv_bytes(MEMBER_HEADER, [member_row("N001")]),
                 csv_bytes(MEMBER_HEADER, [member_row("N002", org="QC-XX")])):
        html = upload(client, token, "members", data, hostile).get_data(as_text=True)
        assert "<img" not in html and "\x1b" not in html and "\u202e" not in html
        assert "..\\" not in html and "onerror=alert(1)_" in html
    db.session.rollback()
    details = db.session.scalars(select(AuditEvent.detail).where(
        AuditEvent.action == "import")).all()
    assert len(details) == 2
    assert all("<" not in d and "\x1b" not in d and ".." not in d for d in details)


def test_an_import_records_each_member_it_changes(client: FlaskClient, tree: Tree,
                                                  make_member: MakeMember) -> None:
    """Exemptions and edits made by a roster are on the per-member trail too, with
    before and after, not only in the import's counts."""
    admin = make_member(role="org_admin", scope="QC-LQ")
    login(client, admin)
    token = admin_page_token(client)
    first = csv_bytes(MEMBER_HEADER, [member_row("N001"), member_row("N002", phone="")])
    assert upload(client, token, "members", first, "党员.csv").status_code == 200
    second = csv_bytes(MEMBER_HEADER, [member_row("N001", exempt="长期外出"),
                                       member_row("N002", name="李新名", phone="")])
    assert upload(client, token, "members", second, "党员.csv").status_code == 200
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(["exemption", "member_edited"])).order_by(AuditEvent.id)).all()
    assert [(e.action, e.target_member_id, e.actor_id) for e in events] == [
        ("exemption", member("N001").id, admin.id), ("member_edited", member("N002").id, admin.id)]
    assert events[0].before == {"exempt": False, "exempt_reason": None}
    assert events[0].after == {"exempt": True, "exempt_reason": "长期外出"}
    assert events[1].before == {"name": "张明华"} and events[1].after == {"name": "李新名"}
    assert events[1].target == "张明华（N002）"  # named as they were before the change
