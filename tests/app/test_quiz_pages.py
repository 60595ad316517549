"""The member's exam pages: the list of tests with their states, the taking page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.app.conftest import MakeMember, login
from tests.app.quiz_helpers import LIVE, PRACTICE, correct, load

FUTURE = {**LIVE, "id": "future", "title": "未来测试",
          "opens": "2099-01-01T08:00:00+08:00", "closes": "2099-12-31T22:00:00+08:00"}
PAST = {**LIVE, "id": "past", "title": "往期测试",
        "opens": "2000-01-01T08:00:00+08:00", "closes": "2001-01-01T22:00:00+08:00"}
BRANCH = {**LIVE, "id": "branch", "title": "石桥乡专题测试", "audience": ["QC-SQ"]}


@pytest.fixture
def quizzes(ctx: Flask, tmp_path: Path, tree: Any) -> Path:
    root = tmp_path / "quizzes"
    load(root, LIVE, FUTURE, PAST, PRACTICE, BRANCH)
    return root


def card(html: str, test_id: str) -> str:
    match = re.search(rf'<li class="card quiz-test" data-testid="test-{test_id}".*?</li>', html,
                      re.S)
    assert match, f"no card for {test_id}"
    return match.group(0)


def test_the_list_shows_each_test_with_its_state(
        quizzes: Path, client: Any, make_member: MakeMember) -> None:
    member = make_member()
    login(client, member)
    html = client.get("/app/tests/").get_data(as_text=True)
    assert 'href="/app/tests/"' in html  # the 测试 link in the menu
    assert 'data-state="available"' in card(html, "live") and "开始答题" in card(html, "live")
    assert "尚未开始" in card(html, "future") and "开始答题" not in card(html, "future")
    assert "已结束" in card(html, "past") and "开始答题" not in card(html, "past")
    assert "石桥乡专题测试" not in html  # not in this member's audience
    exams, practice = html.split("<h2>练习</h2>")
    assert "在线测试" in exams and 'data-testid="test-drill"' in practice
    assert 'data-testid="test-drill"' not in exams


def test_taken_and_in_progress_states(
        quizzes: Path, client: Any, make_member: MakeMember) -> None:
    member = make_member()
    token = login(client, member)
    headers = {"X-CSRFToken": token}
    attempt_id = client.post("/api/quiz/tests/live/attempts",
                             headers=headers).get_json()["attempt_id"]
    html = client.get("/app/tests/").get_data(as_text=True)
    assert "继续答题" in card(html, "live") and 'data-state="in_progress"' in card(html, "live")
    for position, response in correct(attempt_id).items():
        client.put(f"/api/quiz/attempts/{attempt_id}/answers/{position}",
                   json={"response": response}, headers=headers)
    client.post(f"/api/quiz/attempts/{attempt_id}/submit", headers=headers)
    live = card(client.get("/app/tests/").get_data(as_text=True), "live")
    assert "已作答" in live and "100" in live and "合格" in live
    assert "开始答题" not in live and "继续答题" not in live
    assert f"/app/tests/live/take?attempt={attempt_id}" in live


def test_the_take_page_loads_the_script_and_a_token(
        quizzes: Path, client: Any, make_member: MakeMember) -> None:
    login(client, make_member())
    page = client.get("/app/tests/live/take")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "/app/static/exam.js" in html and 'data-test-id="live"' in html
    assert re.search(r'data-csrf="[^"]+"', html)
    assert "交卷" in html and "答题卡" in html and "保存失败，请检查网络" in html
    assert "http://" not in html.split("<main>")[1] and "https://" not in html
    assert client.get("/app/static/exam.js").status_code == 200
    assert client.get("/app/tests/nope/take").status_code == 404
    assert client.get("/app/tests/branch/take").status_code == 404  # not in the audience


def test_another_member_cannot_open_an_attempt(
        app: Flask, quizzes: Path, client: Any, make_member: MakeMember) -> None:
    owner, stranger = make_member(), make_member()
    token = login(client, owner)
    attempt_id = client.post("/api/quiz/tests/live/attempts",
                             headers={"X-CSRFToken": token}).get_json()["attempt_id"]
    assert client.get(f"/app/tests/live/take?attempt={attempt_id}").status_code == 200
    assert client.get(f"/app/tests/past/take?attempt={attempt_id}").status_code == 404
    outsider = app.test_client()
    login(outsider, stranger)
    assert outsider.get(f"/app/tests/live/take?attempt={attempt_id}").status_code == 404
    assert outsider.get(f"/api/quiz/attempts/{attempt_id}").status_code == 404
    assert app.test_client().get("/app/tests/").status_code in (302, 401)
    assert app.test_client().get("/app/tests/live/take").status_code in (302, 401)
