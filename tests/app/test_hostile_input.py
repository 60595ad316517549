"""Hostile parameters and bodies get a clear answer, never a 500.

Each named case was a 500 (or an overflow inside the driver) before its fix;
the hypothesis tests then throw generated values at every JSON API and at
the query parameters of the admin pages.
"""

from __future__ import annotations

import string
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learning_app.extensions import db
from learning_app.models import AttemptQuestion
from learning_app.models.types import utcnow
from learning_app.quiz.attempts import start_attempt
from tests.app.conftest import Tree, login
from tests.app.quiz_helpers import LIVE, load

HUGE = [2**31, 2**63, 2**64, 10**30]


@pytest.fixture
def hostile(app: Flask, tree: Tree, make_member: Any, tmp_path: Any) -> dict[str, Any]:
    admin = make_member("QC-SQ-01", role="county_admin", scope="QC")
    member = make_member("QC-LQ-01")
    load(tmp_path / "quizzes", LIVE)
    attempt = start_attempt(db.session, "live", member, utcnow())
    admin_client, member_client = app.test_client(), app.test_client()
    return {"admin": admin_client, "admin_token": login(admin_client, admin),
            "member": member_client, "member_token": login(member_client, member),
            "attempt": attempt.id}


def _answer(h: dict[str, Any], position: int, body: Any, attempt: int | None = None,
            raw: str | None = None) -> Any:
    url = f"/api/quiz/attempts/{attempt or h['attempt']}/answers/{position}"
    headers = {"X-CSRFToken": h["member_token"]}
    if raw is not None:
        return h["member"].put(url, data=raw, content_type="application/json", headers=headers)
    return h["member"].put(url, json=body, headers=headers)


@pytest.mark.parametrize("big", HUGE)
def test_ids_beyond_the_columns_are_not_found(hostile: dict[str, Any], big: int) -> None:
    admin = hostile["admin"]
    for url in (f"/app/admin/members/{big}", f"/app/admin/orgs/{big}",
                f"/app/admin/trainings/{big}", f"/app/reports/?org={big}",
                f"/api/reports/participation?org={big}"):
        assert admin.get(url).status_code == 404, url
    for url in (f"/app/admin/members/?org={big}", f"/app/admin/members/?page={big}"):
        assert admin.get(url).status_code == 200, url  # ignored, like any bad filter
    member = hostile["member"]
    assert member.get(f"/api/quiz/attempts/{big}").status_code in (404, 405)
    assert member.get(f"/app/tests/live/take?attempt={big}").status_code < 500
    assert _answer(hostile, 1, {"response": "A"}, attempt=big).status_code in (404, 405)


@pytest.mark.parametrize("shape", [{"x": 1}, [{"a": 1}], [["A"]], 10**5000 // 10**4990,
                                   "Z" * 100_000, 1.5e308, True, [True, 1], None])
def test_a_wrong_json_shape_is_refused_for_every_question_type(hostile: dict[str, Any],
                                                               shape: Any) -> None:
    positions = db.session.scalars(AttemptQuestion.__table__.select().with_only_columns(
        AttemptQuestion.position).where(AttemptQuestion.attempt_id == hostile["attempt"])).all()
    assert len(positions) == 5  # single ×2, judge, multiple, blank: every type answered
    for position in positions:
        response = _answer(hostile, position, {"response": shape})
        assert response.status_code in (200, 400), (position, shape, response.status_code)
        if response.status_code == 400:
            assert "格式" in response.get_json()["error"]


def test_json_nested_100000_deep_is_bad_json(hostile: dict[str, Any]) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    response = _answer(hostile, 1, None, raw='{"response": ' + deep + "}")
    assert response.status_code == 400
    assert "请求格式不正确" in response.get_json()["error"]
    beat = hostile["member"].post("/api/reading/heartbeat", data=deep,
                                  content_type="application/json",
                                  headers={"X-CSRFToken": hostile["member_token"]})
    assert beat.status_code == 400


@pytest.mark.parametrize("where", ["query", "form", "json", "json-escape"])
def test_nul_bytes_are_refused_before_any_query(hostile: dict[str, Any], where: str) -> None:
    if where == "query":
        response = hostile["admin"].get("/app/admin/members/?q=a%00b")
    elif where == "form":
        response = hostile["admin"].post("/app/quiz/overrides/", data={
            "csrf_token": hostile["admin_token"], "member_code": "M\x00", "reason": "x"})
    elif where == "json":
        response = _answer(hostile, 1, None, raw='{"response": "a\x00b"}')
    else:
        response = _answer(hostile, 5, {"response": "填\u0000空"})
    assert response.status_code in (400, 303)
    if response.status_code == 400 and response.is_json:
        assert response.get_json()["error"] == "请求中含有不允许的控制字符"


def test_a_nul_in_the_sign_in_form_is_refused(app: Flask) -> None:
    client = app.test_client()
    from tests.app.conftest import csrf_from
    token = csrf_from(client.get("/app/login").get_data(as_text=True))
    response = client.post("/app/login", data={"login": "M\x0001", "password": "x\x00",
                                               "csrf_token": token})
    assert response.status_code in (400, 303)


# -- generated input ------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)
PARAM_TEXT = st.text(alphabet=string.printable + "龙泉镇\u200b\u202e", max_size=25)
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(body=JSON_VALUES, position=st.integers(min_value=0, max_value=2**40))
def test_fuzz_the_answer_api(hostile: dict[str, Any], body: Any, position: int) -> None:
    response = _answer(hostile, position, body)
    assert response.status_code < 500, (body, position)
    response = _answer(hostile, 1, {"response": body})
    assert response.status_code < 500, body


@FUZZ
@given(body=JSON_VALUES)
def test_fuzz_the_heartbeat_and_start_apis(hostile: dict[str, Any], body: Any) -> None:
    member, token = hostile["member"], {"X-CSRFToken": hostile["member_token"]}
    assert member.post("/api/reading/heartbeat", json=body, headers=token).status_code < 500
    assert member.post("/api/quiz/tests/live/attempts", json=body,
                       headers=token).status_code < 500
    assert member.post(f"/api/quiz/attempts/{hostile['attempt']}/submit", json=body,
                       headers=token).status_code < 500


@FUZZ
@given(org=PARAM_TEXT, period=PARAM_TEXT, page=PARAM_TEXT, q=PARAM_TEXT)
def test_fuzz_query_parameters_of_admin_pages(hostile: dict[str, Any], org: str, period: str,
                                              page: str, q: str) -> None:
    admin: FlaskClient = hostile["admin"]
    params = {"org": org, "period": period, "page": page, "q": q, "custom": period}
    for url in ("/app/admin/members/", "/app/reports/", "/api/reports/participation",
                "/app/admin/trainings/new", "/app/admin/orgs/", "/app/reports/export.csv"):
        response = admin.get(url, query_string=params)
        assert response.status_code < 500, (url, params)
