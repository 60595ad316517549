"""Overrides (issue 11, findings 3 and 5): nobody overrides their own test or that of an
account ranked as high as theirs, every version is kept, removal is a recorded change,
and the form can't be used to find out who exists."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.models import AuditEvent, Member, TestOverride, TestOverrideChange
from learning_app.models.types import utcnow
from learning_app.quiz.attempts import add_override, member_tests
from tests.app.conftest import MakeMember, csrf_from, login
from tests.app.quiz_helpers import load_exam

PAGE = "/app/quiz/overrides/"


@pytest.fixture
def exam(ctx: Flask, tmp_path: Path) -> None:
    load_exam(tmp_path / "quizzes")  # test "ana", audience "all", open whatever the date


def _post(client: FlaskClient, url: str = PAGE, **fields: str) -> tuple[int, str]:
    token = csrf_from(client.get(PAGE).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "test_id": "ana", **fields})
    return response.status_code, response.get_data(as_text=True)


def _overrides() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(TestOverride)) or 0


def _changes(member: Member) -> list[TestOverrideChange]:
    db.session.expire_all()
    return list(db.session.scalars(select(TestOverrideChange).where(
        TestOverrideChange.member_id == member.id).order_by(TestOverrideChange.id)))


def _events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


# -- rank and self -----------------------------------------------------------------------

def test_a_county_admin_in_the_audience_cannot_give_herself_attempts(
        exam: None, client: FlaskClient, make_member: MakeMember) -> None:
    county = make_member("QC-LQ-01", role="county_admin", name="县管理员")
    assert "ana" in {t["id"] for t in member_tests(db.session, county, utcnow())}  # audience
    login(client, county)
    status, html = _post(client, member_code=county.code, extra_attempts="5", reason="再考一次")
    assert status == 403 and "不能对自己的记录" in html
    assert _overrides() == 0 and _changes(county) == [] and _events("override") == []
    with pytest.raises(Refused) as info:  # the service holds the rule, not only the page
        add_override(db.session, test_id="ana", member_id=county.id, reason="再考一次",
                     extra_attempts=5, created_by=county.id)
    assert info.value.status == 403
    db.session.rollback()
    assert _overrides() == 0


def test_an_org_admin_cannot_override_the_county_admin_or_a_peer(
        exam: None, client: FlaskClient, make_member: MakeMember) -> None:
    """Both hold party membership in her branch, so both are inside her subtree."""
    secretary = make_member("QC-LQ-01", role="org_admin", scope="QC-LQ-01")
    county = make_member("QC-LQ-01", role="county_admin")
    peer = make_member("QC-LQ-01", role="org_admin", scope="QC-LQ-01")
    editor = make_member("QC-LQ-01", role="editor")
    login(client, secretary)
    for target in (county, peer):
        status, html = _post(client, member_code=target.code, extra_minutes="30",
                             reason="系统故障")
        assert status == 403 and "权限不低于您" in html
    assert _overrides() == 0 and _events("override") == []
    status, _ = _post(client, member_code=editor.code, extra_minutes="30", reason="系统故障")
    assert status == 302 and _overrides() == 1  # a lower role is still hers to help


def test_nor_remove_the_override_of_a_higher_account(
        exam: None, client: FlaskClient, make_member: MakeMember) -> None:
    top = make_member("QC", role="county_admin")
    county = make_member("QC-LQ-01", role="county_admin")
    secretary = make_member("QC-LQ-01", role="org_admin", scope="QC-LQ-01")
    row = add_override(db.session, test_id="ana", member_id=county.id, reason="出差",
                       extra_attempts=1, created_by=None)
    assert top.id != county.id
    login(client, secretary)
    status, html = _post(client, f"{PAGE}{row.id}/remove", reason="不需要了")
    assert status == 403 and "权限不低于您" in html
    assert _overrides() == 1 and _events("override_removed") == []


# -- history -----------------------------------------------------------------------------

def test_the_history_keeps_every_version_and_the_removal(
        exam: None, client: FlaskClient, make_member: MakeMember) -> None:
    admin = make_member("QC-LQ", role="org_admin", scope="QC-LQ", name="龙泉管理员")
    member = make_member("QC-LQ-02", name="王五")
    login(client, admin)
    assert _post(client, member_code=member.code, extra_minutes="15", reason="视力障碍")[0] == 302
    assert _post(client, member_code=member.code, extra_minutes="30", extra_attempts="1",
                 opens_at="2026-12-05T08:00", closes_at="2026-12-06T22:00",
                 reason="住院，补考")[0] == 302
    assert _overrides() == 1  # the current row is replaced ...
    first, second = _changes(member)  # ... and both versions are kept
    assert (first.change, first.extra_minutes, first.reason) == ("set", 15, "视力障碍")
    assert (second.change, second.extra_minutes, second.extra_attempts, second.reason) == (
        "set", 30, 1, "住院，补考")
    assert second.opens_at == dt.datetime(2026, 12, 5, 0, 0)
    assert first.changed_by == second.changed_by == admin.id

    set_events = _events("override")
    assert len(set_events) == 2 and all(e.target_member_id == member.id for e in set_events)
    assert set_events[0].before is None
    assert set_events[1].before == {"extra_minutes": 15, "extra_attempts": 0, "opens_at": None,
                                    "closes_at": None, "reason": "视力障碍"}
    assert set_events[1].after == {"test": "分析测试", "extra_minutes": 30, "extra_attempts": 1,
                                   "opens_at": "2026-12-05 08:00",
                                   "closes_at": "2026-12-06 22:00", "reason": "住院，补考"}

    row = db.session.scalar(select(TestOverride))
    status, _ = _post(client, f"{PAGE}{row.id}/remove", reason="已按时参加")
    assert status == 302 and _overrides() == 0
    removed = _changes(member)[-1]
    assert (removed.change, removed.extra_minutes, removed.reason) == ("removed", 30, "已按时参加")
    (event,) = _events("override_removed")
    assert event.actor_id == admin.id and event.target_member_id == member.id
    assert event.before["extra_minutes"] == 30 and event.after is None

    html = client.get(PAGE).get_data(as_text=True)
    history = html.split("调整记录", 1)[1]
    assert "王五" in history and "龙泉管理员" in history
    assert history.index("视力障碍") < history.index("住院，补考") < history.index("已按时参加")
    assert "另设时段 2026-12-05 08:00 至 2026-12-06 22:00" in history  # Beijing time
    assert "取消调整" in history


def test_a_removal_needs_a_reason_and_a_token(exam: None, client: FlaskClient,
                                             make_member: MakeMember) -> None:
    admin = make_member("QC-LQ", role="org_admin", scope="QC-LQ")
    member = make_member("QC-LQ-02")
    row = add_override(db.session, test_id="ana", member_id=member.id, reason="病假",
                       extra_minutes=10)
    login(client, admin)
    status, html = _post(client, f"{PAGE}{row.id}/remove", reason="  ")
    assert status == 400 and "请填写取消原因" in html
    assert client.post(f"{PAGE}{row.id}/remove", data={"reason": "x"}).status_code == 400
    assert _overrides() == 1 and [c.change for c in _changes(member)] == ["set"]


def test_removing_outside_the_subtree_looks_like_nothing_there(
        exam: None, client: FlaskClient, make_member: MakeMember) -> None:
    outsider = make_member("QC-SQ-01")
    row = add_override(db.session, test_id="ana", member_id=outsider.id, reason="病假",
                       extra_minutes=10)
    login(client, make_member("QC-LQ", role="org_admin", scope="QC-LQ"))
    outside = _post(client, f"{PAGE}{row.id}/remove", reason="x")
    missing = _post(client, f"{PAGE}{row.id + 1000}/remove", reason="x")
    assert outside[0] == missing[0] == 404
    assert "没有找到这项调整" in outside[1] and "没有找到这项调整" in missing[1]
    # An id past the column: no route matches (the bounded converter), never a 500.
    assert _post(client, f"{PAGE}{2**40}/remove", reason="x")[0] in (404, 405)
    assert _overrides() == 1


def test_an_org_admin_sees_only_her_subtree_in_the_history(
        exam: None, client: FlaskClient, make_member: MakeMember) -> None:
    outsider = make_member("QC-SQ-01", name="外乡党员")
    add_override(db.session, test_id="ana", member_id=outsider.id, reason="外乡的原因",
                 extra_minutes=10)
    login(client, make_member("QC-LQ", role="org_admin", scope="QC-LQ"))
    html = client.get(PAGE).get_data(as_text=True)
    assert "外乡党员" not in html and "外乡的原因" not in html


@pytest.mark.parametrize("field, value", [("extra_minutes", "99999999999999999999"),
                                          ("extra_attempts", "10001")])
def test_huge_numbers_are_refused_not_a_500(exam: None, client: FlaskClient,
                                            make_member: MakeMember, field: str,
                                            value: str) -> None:
    member = make_member("QC-LQ-02")
    login(client, make_member("QC-LQ", role="org_admin", scope="QC-LQ"))
    status, html = _post(client, member_code=member.code, reason="病假", **{field: value})
    assert status == 400 and "不能超过" in html
    assert _overrides() == 0
