"""The audit log (issue 11, finding 5): every security-relevant action leaves one
event with who, whom, before and after; the log can't be rewritten; only the
county admin reads it, filters it and exports it, and the export is recorded too."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError

from learning_app.audit.query import AuditFilter, describe, parse_filter, read_page
from learning_app.audit.service import record
from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.models import AuditEvent, Member, Training
from learning_app.models.types import utcnow
from learning_app.quiz.cli import regrade_command
from tests.app.conftest import MakeMember, Tree, csrf_from, login
from tests.app.report_helpers import AFTER
from tests.app.test_quiz_regrade import graded as graded_fixture  # noqa: F401

PAGE = "/app/admin/audit/"
EXPORT = "/app/admin/audit/export.xlsx"


def mark() -> int:
    """The newest event's id: what an action wrote is everything after it."""
    db.session.expire_all()
    return db.session.scalar(select(func.max(AuditEvent.id))) or 0


def since(start: int, action: str | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).where(AuditEvent.id > start).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def one(start: int, action: str) -> AuditEvent:
    """The action wrote exactly one event, and it is of this kind."""
    events = since(start)
    assert [e.action for e in events] == [action], [(e.action, e.detail) for e in events]
    return events[0]


def post_member(client: FlaskClient, member: Member, action: str, **data: str) -> Any:
    token = csrf_from(client.get(f"/app/admin/members/{member.id}").get_data(as_text=True))
    return client.post(f"/app/admin/members/{member.id}/{action}",
                       data={"csrf_token": token, **data})


@pytest.fixture
def county_admin(make_member: MakeMember) -> Member:
    return make_member("QC", role="county_admin", name="县管理员")


@pytest.fixture
def admin_client(client: FlaskClient, county_admin: Member) -> FlaskClient:
    login(client, county_admin)
    return client


# -- the log can't be rewritten ----------------------------------------------------------

def test_the_log_refuses_updates_and_deletes_through_sqlalchemy(ctx: Flask,
                                                                make_member: MakeMember) -> None:
    member = make_member()
    event = record(db.session, "exemption", target=member, after={"exempt": True})
    db.session.commit()
    event_id = event.id

    event.detail = "改写历史"
    with pytest.raises(DBAPIError):
        db.session.commit()
    db.session.rollback()

    db.session.delete(db.session.get(AuditEvent, event_id))
    with pytest.raises(DBAPIError):
        db.session.commit()
    db.session.rollback()

    for statement in (update(AuditEvent).values(actor="别人"), delete(AuditEvent)):
        with pytest.raises(DBAPIError):
            db.session.execute(statement)
        db.session.rollback()

    db.session.expire_all()
    kept = db.session.get(AuditEvent, event_id)
    assert kept is not None and kept.detail is None and kept.actor == "命令行"


# -- who may read it ---------------------------------------------------------------------

def test_the_county_admin_reads_the_log(admin_client: FlaskClient) -> None:
    response = admin_client.get(PAGE)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "审计日志" in response.get_data(as_text=True)


@pytest.mark.parametrize("role, scope", [("org_admin", "QC-LQ"), ("editor", None),
                                         ("member", None)])
def test_nobody_else_reads_filters_or_exports_it(client: FlaskClient, make_member: MakeMember,
                                                 role: str, scope: str | None) -> None:
    record(db.session, "sign_in_failed", actor_label="未登录", target_label="M99999")
    db.session.commit()
    login(client, make_member("QC-LQ-01", role=role, scope=scope))
    start = mark()
    for url in (PAGE, f"{PAGE}?action=sign_in_failed&actor=未登录", EXPORT,
                f"{EXPORT}?action=export&from=2000-01-01&to=2099-12-31",
                f"{PAGE}?before=999999999"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "M99999" not in response.get_data(as_text=True)
    assert since(start) == []  # no export happened, so none was recorded


def test_signed_out_visitors_are_sent_to_sign_in(client: FlaskClient, ctx: Flask) -> None:
    assert client.get(PAGE).status_code == 302
    assert client.get(EXPORT).status_code == 302


def test_the_menu_shows_it_to_the_county_admin_only(client: FlaskClient, app: Flask,
                                                    county_admin: Member,
                                                    make_member: MakeMember) -> None:
    login(client, county_admin)
    assert 'href="/app/admin/audit/"' in client.get("/app/quiz/overrides/").get_data(
        as_text=True)
    other = app.test_client()
    login(other, make_member("QC-LQ", role="org_admin", scope="QC-LQ"))
    assert 'href="/app/admin/audit/"' not in other.get("/app/quiz/overrides/").get_data(
        as_text=True)


# -- each action, one event --------------------------------------------------------------

def test_an_exemption_records_before_and_after(admin_client: FlaskClient,
                                               county_admin: Member,
                                               make_member: MakeMember) -> None:
    member = make_member("QC-SQ-01")
    start = mark()
    assert post_member(admin_client, member, "exempt", reason="年老体弱").status_code == 302
    event = one(start, "exemption")
    assert (event.actor_id, event.target_member_id) == (county_admin.id, member.id)
    assert event.actor == f"县管理员（{county_admin.code}）"
    assert event.before == {"exempt": False, "exempt_reason": None}
    assert event.after == {"exempt": True, "exempt_reason": "年老体弱"}
    assert event.address == "127.0.0.1"
    start = mark()
    post_member(admin_client, member, "exempt", reason="年老体弱")  # nothing changed
    assert since(start) == []


def test_a_correction_records_the_hours_and_the_reason(admin_client: FlaskClient,
                                                       county_admin: Member,
                                                       make_member: MakeMember) -> None:
    member = make_member("QC-LQ-02")
    start = mark()
    post_member(admin_client, member, "correction", hours="-1.5", note="重复登记")
    event = one(start, "correction")
    assert (event.actor_id, event.target_member_id) == (county_admin.id, member.id)
    assert event.before is None and event.after == {"hours": "-1.50", "note": "重复登记"}
    start = mark()
    for hours in ("NaN", "sNaN", "Infinity", "1e999"):  # a clear refusal, no 500, no event
        assert post_member(admin_client, member, "correction", hours=hours,
                           note="x").status_code == 302
    assert since(start) == []


def test_a_transfer_and_leaving_the_roll(admin_client: FlaskClient, county_admin: Member,
                                         make_member: MakeMember, tree: Tree) -> None:
    member = make_member("QC-LQ-01")
    start = mark()
    post_member(admin_client, member, "transfer", org_code="QC-SQ-02", on="2026-11-01",
                note="外出务工返乡")
    event = one(start, "transfer")
    assert (event.actor_id, event.target_member_id) == (county_admin.id, member.id)
    assert event.before == {"org": "杨柳湾村党支部（QC-LQ-01）", "status": "active"}
    assert event.after == {"org": "白果村党支部（QC-SQ-02）", "status": "active",
                           "on": "2026-11-01", "note": "外出务工返乡"}
    start = mark()
    post_member(admin_client, member, "leave", status="deceased", on="2026-12-01")
    event = one(start, "leave")
    assert event.before == {"status": "active"}
    assert event.after == {"status": "deceased", "on": "2026-12-01"}


def test_a_refused_action_leaves_no_event(client: FlaskClient, make_member: MakeMember) -> None:
    """The event is in the action's transaction: what was refused was not done."""
    secretary = make_member("QC-LQ-01", role="org_admin", scope="QC-LQ-01")
    county = make_member("QC-LQ-01", role="county_admin")
    login(client, secretary)
    start = mark()
    for action, data in (("exempt", {"reason": "x"}), ("correction", {"hours": "5", "note": "x"}),
                         ("leave", {"status": "deceased", "on": "2026-11-01"})):
        assert post_member(client, county, action, **data).status_code == 403
    post_member(client, secretary, "exempt", reason="自己免学")
    assert since(start) == []


def test_a_training_and_its_attendance(admin_client: FlaskClient, county_admin: Member,
                                       make_member: MakeMember) -> None:
    a, b = make_member("QC-LQ-01"), make_member("QC-LQ-02")
    token = csrf_from(admin_client.get("/app/admin/trainings/new").get_data(as_text=True))
    start = mark()
    response = admin_client.post("/app/admin/trainings/new", data={
        "csrf_token": token, "title": "十二月集中轮训", "kind": "rotation",
        "held_on": "2026-12-05", "hours": "4", "organizer": "县委组织部", "org_code": "QC-LQ"})
    assert response.status_code == 302
    created = one(start, "training")
    assert created.actor_id == county_admin.id and created.target == "十二月集中轮训"
    assert created.after["kind"] == "rotation" and created.after["org"] == "龙泉镇党委（QC-LQ）"
    start = mark()
    response = admin_client.post("/app/admin/trainings/new", data={
        "csrf_token": token, "title": "长" * 201, "kind": "rotation", "held_on": "2026-12-05",
        "hours": "4", "organizer": "办" * 101, "org_code": "QC-LQ"})
    assert response.status_code == 200 and "不超过200字" in response.get_data(as_text=True)
    assert since(start) == []  # refused on PostgreSQL and SQLite alike, nothing recorded
    training = db.session.scalar(select(Training))
    start = mark()
    admin_client.post(f"/app/admin/trainings/{training.id}/attendees",
                      data={"csrf_token": token, "codes": f"{a.code} {b.code}"})
    event = one(start, "training")
    assert event.actor_id == county_admin.id and event.target == "十二月集中轮训（2人）"
    assert event.after["added"] == 2 and event.after["already"] == 0
    assert event.after["members"] == [f"{a.name}（{a.code}）", f"{b.name}（{b.code}）"]
    start = mark()
    admin_client.post(f"/app/admin/trainings/{training.id}/attendees",
                      data={"csrf_token": token, "codes": a.code})
    event = one(start, "training")
    assert event.target_member_id == a.id and event.after["already"] == 1


def test_a_report_export_records_scope_and_rows(client: FlaskClient, make_member: MakeMember,
                                                tree: Tree,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("learning_app.reports.views.local_today", lambda: AFTER)
    admin = make_member("QC-LQ", role="org_admin", scope="QC-LQ")
    login(client, admin)
    for fmt in ("xlsx", "csv"):
        start = mark()
        response = client.get(f"/app/reports/export.{fmt}?period=2026-H2")
        assert response.status_code == 200
        event = one(start, "export")
        assert event.actor_id == admin.id and event.org_id == tree["QC-LQ"].id
        assert event.after == {"what": "参学统计", "range": "龙泉镇党委（QC-LQ）及其下级组织",
                               "period": "2026年下半年（2026-H2）", "format": fmt,
                               "rows": 3}  # the township and its two villages
    start = mark()
    assert client.get(f"/app/reports/export.xlsx?org={tree['QC-SQ'].id}").status_code == 404
    assert since(start) == []  # out of scope: nothing left the system


def test_set_account_records_a_role_change(app: Flask, ctx: Flask, make_member: MakeMember,
                                           tree: Tree) -> None:
    member = make_member("QC-LQ-01")
    start = mark()
    result = app.test_cli_runner().invoke(args=[
        "set-account", member.code, "--password", "Qingchuan#Secure2026", "--role",
        "org_admin", "--scope", "QC-LQ"])
    assert result.exit_code == 0, result.output
    events = since(start)
    assert sorted(e.action for e in events) == ["password_changed", "role_changed"]
    event = next(e for e in events if e.action == "role_changed")
    assert event.actor == "命令行" and event.target_member_id == member.id
    assert event.before == {"role": "member", "scope": None}
    assert event.after == {"role": "org_admin", "scope": "龙泉镇党委（QC-LQ）"}
    start = mark()
    app.test_cli_runner().invoke(args=["set-account", member.code, "--password",
                                       "Qingchuan#Secure2027"])
    assert [e.action for e in since(start)] == ["password_changed"]  # role unchanged


def test_a_regrade_records_who_decided(app: Flask, graded_fixture: dict[str, Any],  # noqa: F811
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    start = mark()
    result = app.test_cli_runner().invoke(regrade_command, [
        "--test", "half", "--question", "q1", "--also-correct", "B",
        "--reason", "方案原文为县政府办牵头", "--by", "县委组织部 张科长"])
    assert result.exit_code == 0, result.output
    event = one(start, "regrade")
    assert event.actor == "县委组织部 张科长" and event.actor_id is None
    assert event.target == "半年测试（half）"
    assert event.after["rule"] == {"also_correct": "B"}
    assert (event.after["attempts"], event.after["raised"], event.after["newly_passed"]) == (
        3, 1, 1)
    assert "规则：增加正确答案 B" in describe(event.before, event.after)


# -- reading it --------------------------------------------------------------------------

@pytest.fixture
def events(ctx: Flask, make_member: MakeMember) -> Iterator[dict[str, Member]]:
    """Four events at known moments: two on 2 December (Beijing), two before."""
    people = {"admin": make_member("QC", role="county_admin", name="王主任"),
              "clerk": make_member("QC-LQ", role="org_admin", scope="QC-LQ", name="李干事"),
              "a": make_member(name="张三"), "b": make_member(name="赵四")}
    record(db.session, "exemption", actor=people["clerk"], target=people["a"],
           before={"exempt": False}, after={"exempt": True}, at=dt.datetime(2026, 11, 30, 2))
    record(db.session, "correction", actor=people["clerk"], target=people["b"],
           after={"hours": "+2.00"}, at=dt.datetime(2026, 12, 1, 15, 59))  # 1 Dec 23:59
    record(db.session, "role_changed", actor=people["admin"], target=people["b"],
           before={"role": "member"}, after={"role": "org_admin"},
           at=dt.datetime(2026, 12, 1, 16, 0))  # 2 Dec 00:00 in Beijing
    record(db.session, "exemption", actor=people["admin"], target=people["a"],
           before={"exempt": True}, after={"exempt": False}, at=dt.datetime(2026, 12, 2, 15))
    db.session.commit()
    yield people


def _actions(f: AuditFilter) -> list[str]:
    return [e.action for e in read_page(db.session, f).events]


def test_filters_by_action_actor_target_and_beijing_dates(events: dict[str, Member]) -> None:
    assert _actions(AuditFilter()) == ["exemption", "role_changed", "correction", "exemption"]
    assert _actions(AuditFilter(action="exemption")) == ["exemption", "exemption"]
    assert _actions(AuditFilter(actor="李干事")) == ["correction", "exemption"]
    assert _actions(AuditFilter(actor=events["admin"].code)) == ["exemption", "role_changed"]
    assert _actions(AuditFilter(target="赵四")) == ["role_changed", "correction"]
    day = dt.date(2026, 12, 2)
    assert _actions(AuditFilter(start=day, end=day)) == ["exemption", "role_changed"]
    assert _actions(AuditFilter(end=dt.date(2026, 12, 1))) == ["correction", "exemption"]
    assert _actions(AuditFilter(actor="%")) == []  # a wildcard is a character, not "any"
    assert _actions(AuditFilter(action="exemption", target="张三",
                                start=day)) == ["exemption"]


def test_parse_filter() -> None:
    f = parse_filter({"action": "exemption", "actor": " 李 ", "target": "x" * 80,
                      "from": "2026-12-01", "to": ""})
    assert f == AuditFilter("exemption", "李", "x" * 50, dt.date(2026, 12, 1), None)
    assert parse_filter({"action": "no-such-action"}).action == ""
    with pytest.raises(Refused) as info:
        parse_filter({"from": "2026-13-01"})
    assert info.value.status == 400 and "开始日期" in info.value.message


def test_the_page_filters_and_reads_in_chinese(client: FlaskClient,
                                               events: dict[str, Member]) -> None:
    login(client, events["admin"])
    html = client.get(f"{PAGE}?action=role_changed").get_data(as_text=True)
    assert "变更角色或管理范围" in html and "角色：党员 → 组织管理员" in html
    assert "2026-12-02 00:00:00" in html  # Beijing time
    assert "设置或取消免学" not in html.split("</select>", 1)[1]  # only the filtered action
    html = client.get(f"{PAGE}?target=张三&from=2026-11-30&to=2026-11-30").get_data(
        as_text=True)
    assert "免学：否 → 是" in html and "李干事" in html and "赵四" not in html
    for raw in ("exempt", "role_changed", "org_admin", "before", "after"):
        assert raw not in html.split("<main>", 1)[1].split('<form method="get"')[0]
    assert client.get(f"{PAGE}?from=2026-99-01").status_code == 400


def test_pages_of_fifty_newest_first(client: FlaskClient, ctx: Flask,
                                     make_member: MakeMember) -> None:
    admin = make_member("QC", role="county_admin")
    for n in range(120):
        record(db.session, "correction", target_label=f"对象{n:03d}",
               at=dt.datetime(2026, 12, 1) + dt.timedelta(minutes=n))
    db.session.commit()
    first = read_page(db.session, AuditFilter())
    assert len(first.events) == 50 and first.events[0].target == "对象119"
    assert first.newer is None and first.older is not None
    second = read_page(db.session, AuditFilter(), before=first.older)
    assert second.events[0].target == "对象069" and second.newer is not None
    back = read_page(db.session, AuditFilter(), after=second.newer)
    assert [e.id for e in back.events] == [e.id for e in first.events]
    last = read_page(db.session, AuditFilter(), before=read_page(
        db.session, AuditFilter(), before=second.older).events[-1].id)
    assert last.events == [] and last.older is None

    login(client, admin)
    html = client.get(PAGE).get_data(as_text=True)
    assert "对象119" in html and "对象069" not in html and "更早的记录" in html
    html = client.get(f"{PAGE}?before={first.older}").get_data(as_text=True)
    assert "对象069" in html and "对象119" not in html and "较新的记录" in html


@pytest.mark.parametrize("query", [
    f"page={10**20}", f"before={10**20}", f"after={10**20}", "before=-1", "after=abc",
    "before=１２３", f"before={2**63}&after={2**63}", "from=0001-01-01&to=9999-12-31",
    "action=%00", "actor=%00", "target=" + "长" * 5000,
])
def test_odd_parameters_are_never_a_500(client: FlaskClient, ctx: Flask,
                                        make_member: MakeMember, query: str) -> None:
    record(db.session, "correction", target_label="某人")
    db.session.commit()
    login(client, make_member("QC", role="county_admin"))
    # A NUL byte may be refused at the door (input_guard, 400); never a 500.
    allowed = (200, 400) if "%00" in query else (200,)
    assert client.get(f"{PAGE}?{query}").status_code in allowed
    assert client.get(f"{EXPORT}?{query}").status_code in allowed


def test_describe_reads_changes_in_chinese() -> None:
    assert describe({"role": "member", "scope": None},
                    {"role": "org_admin", "scope": "龙泉镇党委（QC-LQ）"}) == [
        "角色：党员 → 组织管理员", "管理范围：— → 龙泉镇党委（QC-LQ）"]
    assert describe({"exempt": True, "note": "x"}, {"exempt": True, "note": "y"}) == [
        "说明：x → y"]
    assert describe(None, {"hours": "+2.00", "rule": {"void": True}}) == [
        "学时：+2.00", "规则：作废本题（所有人得分）"]
    assert describe({"extra_minutes": 15}, None) == ["延长时间（分钟）：15 → —"]
    assert describe(None, {"members": [f"人{n}" for n in range(25)]})[0].endswith("等25项")
    assert describe(None, {"format": "xlsx", "rows": 3}) == ["格式：电子表格", "行数：3"]
    assert describe(None, None) == []


def test_describe_names_the_keys_imports_and_activation_codes_write() -> None:
    imported = describe(None, {"kind": "members", "file": "名册.xlsx", "rows": 3, "added": 2,
                               "updated": 1, "unchanged": 0, "transferred": 0}, "import")
    assert imported == ["导入内容：党员", "文件：名册.xlsx", "总行数：3", "新增：2", "更新：1",
                        "未变：0", "转接人数：0"]
    assert describe(None, {"kind": "orgs", "file": "x.csv", "refused": 4}, "import") == [
        "导入内容：组织", "文件：x.csv", "问题数：4"]
    # A code's expiry is stored in UTC and read in Beijing time.
    assert describe({"password": "set"}, {"expires_at": "2026-12-16T06:19:49"},
                    "activation_issued") == ["密码：已设置 → —", "开通码有效期至：2026-12-16 14:19"]
    assert describe(None, {"password": "set"}) == ["密码：已设置"]
    # A removed override's empty fields say nothing ("另设开始时间：— → —").
    assert describe({"extra_minutes": 15, "opens_at": None, "reason": "眼疾"}, None) == [
        "延长时间（分钟）：15 → —", "原因：眼疾 → —"]


# -- the export --------------------------------------------------------------------------

HOSTILE = '=HYPERLINK("http://evil.example","点我")'


def test_the_export_is_formula_safe_and_itself_recorded(client: FlaskClient, ctx: Flask,
                                                        make_member: MakeMember) -> None:
    admin = make_member("QC", role="county_admin", name="县管理员")
    villain = make_member("QC-LQ-01", role="org_admin", scope="QC-LQ-01", name=HOSTILE)
    victim = make_member("QC-LQ-01", name="@SUM(1+1)")
    record(db.session, "exemption", actor=villain, target=victim, before={"exempt": False},
           after={"exempt": True, "exempt_reason": "-1+1"}, detail="+cmd\x07|' /C calc'!A0")
    record(db.session, "sign_in", actor=admin)
    db.session.commit()
    login(client, admin)
    start = mark()
    response = client.get(f"{EXPORT}?action=exemption")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[cell for cell in row] for row in sheet.iter_rows()]
    assert [c.value for c in rows[0]][:4] == ["时间（北京时间）", "操作", "操作人", "对象"]
    assert len(rows) == 2  # the header and the one exemption
    values = [c.value for c in rows[1]]
    assert all(c.data_type != "f" for row in rows for c in row)
    assert values[1] == "设置或取消免学"
    assert values[2] == f"'{HOSTILE}（{villain.code}）"
    assert values[3] == f"'@SUM(1+1)（{victim.code}）"
    assert values[6] == "'+cmd|' /C calc'!A0"  # neutralised, control character dropped
    event = one(start, "export")
    assert event.actor_id == admin.id
    assert event.after == {"what": "审计日志", "filters": "操作：设置或取消免学",
                           "format": "xlsx", "rows": 1}


def test_utcnow_events_show_in_beijing_time(client: FlaskClient, ctx: Flask,
                                            make_member: MakeMember) -> None:
    admin = make_member("QC", role="county_admin")
    moment = utcnow().replace(microsecond=0)
    record(db.session, "correction", target_label="某人", at=moment)
    db.session.commit()
    login(client, admin)
    local = (moment + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    assert local in client.get(PAGE).get_data(as_text=True)
