"""The overrides page: admins within their subtree, a reason always required."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.models import TestOverride
from tests.app.conftest import MakeMember, csrf_from, login
from tests.app.quiz_helpers import load_exam

PAGE = "/app/quiz/overrides/"


@pytest.fixture
def exam(ctx: Flask, tmp_path: Path) -> None:
    load_exam(tmp_path / "quizzes")


def _post(client: FlaskClient, **fields: str) -> tuple[int, str]:
    token = csrf_from(client.get(PAGE).get_data(as_text=True))
    response = client.post(PAGE, data={"csrf_token": token, "test_id": "ana", **fields})
    return response.status_code, response.get_data(as_text=True)


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(TestOverride)) or 0


def test_an_org_admin_sets_an_override_within_the_subtree(
        exam: None, client: FlaskClient, make_member: MakeMember) -> None:
    admin = make_member("QC-LQ", role="org_admin", scope="QC-LQ")
    member = make_member("QC-LQ-02")
    login(client, admin)
    status, _ = _post(client, member_code=member.code, extra_minutes="15",
                      extra_attempts="1", opens_at="2026-12-05T08:00",
                      closes_at="2026-12-06T22:00", reason="住院，补考")
    assert status == 302
    row = db.session.scalar(select(TestOverride))
    assert (row.member_id, row.extra_minutes, row.extra_attempts) == (member.id, 15, 1)
    assert row.opens_at == dt.datetime(2026, 12, 5, 0, 0)  # 08:00 Beijing, as UTC
    assert row.closes_at == dt.datetime(2026, 12, 6, 14, 0)
    assert row.reason == "住院，补考" and row.created_by == admin.id
    html = client.get(PAGE).get_data(as_text=True)
    assert member.code in html and "住院，补考" in html and "2026-12-05 08:00" in html


def test_a_member_outside_the_subtree_is_refused_like_one_who_does_not_exist(
        exam: None, client: FlaskClient, make_member: MakeMember) -> None:
    """Probing who exists must not work: outside the subtree and unknown answer alike."""
    outsider = make_member("QC-SQ-01")
    login(client, make_member("QC-LQ", role="org_admin", scope="QC-LQ"))
    outside_status, outside_html = _post(client, member_code=outsider.code,
                                         extra_minutes="10", reason="病假")
    unknown_status, unknown_html = _post(client, member_code="NOSUCH", extra_minutes="10",
                                         reason="病假")
    assert outside_status == unknown_status == 404
    assert _alert(outside_html) == _alert(unknown_html) == "在您管理的组织范围内没有这个党员编号"
    assert outsider.name not in outside_html
    assert _count() == 0


def _alert(html: str) -> str:
    match = re.search(r'<p class="flash error" role="alert">([^<]*)</p>', html)
    assert match, "no error message on the page"
    return match.group(1)


def test_a_reason_is_required(exam: None, client: FlaskClient,
                              make_member: MakeMember) -> None:
    member = make_member("QC-LQ-01")
    login(client, make_member("QC-LQ", role="org_admin", scope="QC-LQ"))
    for reason in ("", "   "):
        status, html = _post(client, member_code=member.code, extra_minutes="10",
                             reason=reason)
        assert status == 400 and "请填写调整原因" in html
    status, html = _post(client, member_code=member.code, extra_minutes="-5", reason="病假")
    assert status == 400 and "不能为负数" in html
    assert _count() == 0


def test_the_county_admin_reaches_everyone_and_org_admins_see_their_own(
        exam: None, client: FlaskClient, app: Flask, make_member: MakeMember) -> None:
    far = make_member("QC-SQ-02")
    login(client, make_member("QC", role="county_admin"))
    status, _ = _post(client, member_code=far.code, extra_attempts="1", reason="系统故障")
    assert status == 302 and _count() == 1
    other = app.test_client()
    login(other, make_member("QC-LQ", role="org_admin", scope="QC-LQ"))
    assert far.code not in other.get(PAGE).get_data(as_text=True)


@pytest.mark.parametrize("role", ["member", "editor"])
def test_others_may_not_use_it(exam: None, client: FlaskClient, make_member: MakeMember,
                               role: str) -> None:
    login(client, make_member(role=role))
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"member_code": "x", "reason": "y"}).status_code in (400, 403)
    assert _count() == 0
