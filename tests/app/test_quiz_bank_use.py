"""Bank visibility at run time (contract 4): while a test runs, none of its banks'
questions, keys or explanations reach anyone in its audience — not by practice
feedback, the 错题本 or item analysis.

The loader keeps practice sets off exam banks (test_quiz_loader.py); these tests
plant a practice set on the test's bank as data stored before that rule existed
would be, and check the run-time rule. The clock is injected: the services take
``now``, and the views' ``utcnow`` is patched.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.models import Attempt, QuizTest
from learning_app.quiz.attempts import (
    add_override,
    answer_feedback,
    attempt_payload,
    save_answer,
    start_attempt,
    submit,
)
from learning_app.quiz.wrong_book import wrong_book
from tests.app.conftest import MakeMember, login
from tests.app.quiz_helpers import BANK, PRACTICE, correct, load

OPENS = dt.datetime(2026, 12, 1, 0, 0)  # naive UTC: 08:00 in Asia/Shanghai
CLOSES = dt.datetime(2026, 12, 31, 14, 0)
BEFORE, DURING, AFTER = OPENS - dt.timedelta(days=1), OPENS + dt.timedelta(days=1), \
    CLOSES + dt.timedelta(hours=1)
EXAM = {
    "id": "exam", "title": "年度测试",
    "opens": "2026-12-01T08:00:00+08:00", "closes": "2026-12-31T22:00:00+08:00",
    "time_limit_minutes": 30, "pass_score": 60, "attempts": 1, "credit_hours_on_pass": 0,
    "audience": "all", "review": "after_close",
    "sections": [{"bank": "tb", "count": 5, "points": 20, "types": ["single"]}],
}
KEYS = {q["explanation"] for q in BANK["questions"]}


@pytest.fixture
def legacy(ctx: Flask, tmp_path: Path) -> None:
    """The test ``exam`` on bank ``tb``, and the practice set ``drill`` pointed at
    ``tb`` behind the loader's back (as a set stored before the rule would be)."""
    load(tmp_path / "quizzes", EXAM, PRACTICE)
    drill = db.session.get_one(QuizTest, "drill")
    drill.definition = {**drill.definition, "sections": [
        {**PRACTICE["sections"][0], "bank": "tb"}]}
    db.session.commit()


def clock(monkeypatch: pytest.MonkeyPatch, moment: dt.datetime) -> None:
    for module in ("quiz.api", "quiz.pages", "quiz.admin_views", "auth.views"):
        monkeypatch.setattr(f"learning_app.{module}.utcnow", lambda: moment)


def leaks(body: Any) -> bool:
    return any(key in str(body) for key in KEYS)


def test_practice_feedback_never_hands_out_a_running_tests_key(
        legacy: None, client: FlaskClient, make_member: MakeMember,
        monkeypatch: pytest.MonkeyPatch) -> None:
    member = make_member()
    # Started the day before the test opens: practice on the bank is allowed then.
    clock(monkeypatch, BEFORE)
    headers = {"X-CSRFToken": login(client, member)}
    body = client.post("/api/quiz/tests/drill/attempts", headers=headers).get_json()
    attempt_id = body["attempt_id"]
    keys = correct(attempt_id)
    # While the test runs: no feedback on any question, no resume, no new attempt.
    clock(monkeypatch, DURING)
    headers = {"X-CSRFToken": login(client, member)}
    for position, key in keys.items():
        reply = client.put(f"/api/quiz/attempts/{attempt_id}/answers/{position}",
                           json={"response": key}, headers=headers)
        assert reply.status_code == 403 and "feedback" not in reply.get_json()
        assert "进行中的测试" in reply.get_json()["error"] and not leaks(reply.get_json())
    resumed = client.get(f"/api/quiz/attempts/{attempt_id}")
    assert resumed.status_code == 403 and not leaks(resumed.get_json())
    handed_in = client.post(f"/api/quiz/attempts/{attempt_id}/submit", headers=headers)
    assert handed_in.status_code == 403 and not leaks(handed_in.get_json())
    again = client.post("/api/quiz/tests/drill/attempts", headers=headers)
    assert again.status_code == 403 and "进行中的测试" in again.get_json()["error"]
    attempt = db.session.get_one(Attempt, attempt_id)
    with pytest.raises(Refused) as refused:
        answer_feedback(db.session, attempt, 1, keys[1], DURING)
    assert refused.value.status == 403
    with pytest.raises(Refused):
        attempt_payload(db.session, attempt, DURING)
    # Once the test has closed, practice gives its feedback again (to a sign-in of
    # that day: sign-ins expire).
    clock(monkeypatch, AFTER)
    headers = {"X-CSRFToken": login(client, member)}
    reply = client.put(f"/api/quiz/attempts/{attempt_id}/answers/1",
                       json={"response": keys[1]}, headers=headers).get_json()
    assert reply["feedback"]["fraction"] == 1 and reply["feedback"]["explanation"] in KEYS


def test_the_wrong_book_hides_a_running_tests_bank_until_everyone_has_closed(
        legacy: None, client: FlaskClient, make_member: MakeMember,
        monkeypatch: pytest.MonkeyPatch) -> None:
    member, late = make_member(), make_member()
    drill = start_attempt(db.session, "drill", member, BEFORE)
    keys = correct(drill.id)
    for position, key in keys.items():  # every one wrong: all in the book
        save_answer(db.session, drill, position, next(k for k in "ABCD" if k != key), BEFORE)
    submit(db.session, drill.id, BEFORE)
    assert len(wrong_book(db.session, member.id, BEFORE)) == len(keys)
    # Also the member's own test attempt, whose review opens after the close.
    exam = start_attempt(db.session, "exam", member, DURING)
    submit(db.session, exam.id, DURING)
    assert wrong_book(db.session, member.id, DURING) == []
    clock(monkeypatch, DURING)
    login(client, member)
    page = client.get("/app/tests/wrong-book").get_data(as_text=True)
    assert 'data-testid="wrong-item"' not in page and not leaks(page)
    # Someone still answering on an extended window keeps the bank sealed for all.
    add_override(db.session, test_id="exam", member_id=late.id, reason="补考",
                 closes_at=dt.datetime(2027, 1, 2, 22, 0))  # Beijing time
    assert wrong_book(db.session, member.id, AFTER) == []
    after_all = dt.datetime(2027, 1, 2, 15, 0)
    book = wrong_book(db.session, member.id, after_all)
    assert len(book) >= len(keys) and all(item["explanation"] in KEYS for item in book)


def test_outside_the_audience_nothing_is_sealed(ctx: Flask, tmp_path: Path,
                                                make_member: MakeMember) -> None:
    load(tmp_path / "quizzes", {**EXAM, "audience": ["QC-SQ"]}, PRACTICE)
    drill = db.session.get_one(QuizTest, "drill")
    drill.definition = {**drill.definition, "sections": [
        {**PRACTICE["sections"][0], "bank": "tb"}]}
    db.session.commit()
    outsider = make_member("QC-LQ-01")
    attempt = start_attempt(db.session, "drill", outsider, DURING)
    assert answer_feedback(db.session, attempt, 1, None, DURING)["explanation"] in KEYS
    with pytest.raises(Refused):
        start_attempt(db.session, "drill", make_member("QC-SQ-01"), DURING)


@pytest.fixture
def exam_taken(legacy: None, make_member: MakeMember) -> None:
    for _ in range(2):
        attempt = start_attempt(db.session, "exam", make_member(), DURING)
        for position, key in correct(attempt.id).items():
            save_answer(db.session, attempt, position, key, DURING)
        submit(db.session, attempt.id, DURING)


@pytest.mark.parametrize("role, scope", [("editor", None), ("county_admin", "QC")])
def test_an_editor_or_admin_in_the_audience_waits_for_the_close_to_see_the_analysis(
        exam_taken: None, client: FlaskClient, make_member: MakeMember,
        monkeypatch: pytest.MonkeyPatch, role: str, scope: str | None) -> None:
    reader = make_member(role=role, scope=scope)  # audience "all": they are in it
    clock(monkeypatch, DURING)
    login(client, reader)
    page = client.get("/app/quiz/analysis/exam")
    assert page.status_code == 403
    html = page.get_data(as_text=True)
    assert "测试结束后才能查看试题分析" in html and "单选题" not in html
    clock(monkeypatch, AFTER)
    login(client, reader)  # sign-ins expire: a sign-in of that day
    page = client.get("/app/quiz/analysis/exam")
    assert page.status_code == 200 and "难度(通过率)" in page.get_data(as_text=True)
