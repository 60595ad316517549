"""Attempts: draws, the server's clock, grace, expiry, one submit, overrides, no key leaks."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.models import (
    Attempt,
    AttemptAnswer,
    CreditEntry,
    Member,
    QuizTest,
)
from learning_app.models.types import utcnow
from learning_app.quiz.attempts import (
    GRACE,
    add_override,
    attempt_payload,
    finish_expired,
    member_tests,
    review_allowed,
    save_answer,
    save_for,
    start_attempt,
    submit,
)
from learning_app.quiz.autosave import SaveRefused, SaveState, check
from tests.app.conftest import MakeMember, login
from tests.app.quiz_helpers import BANK, LIVE, PRACTICE, correct, load

EXPLANATIONS = [q["explanation"] for q in BANK["questions"]]

OPENS = dt.datetime(2026, 12, 1, 0, 0)  # 08:00 in Asia/Shanghai, as naive UTC
CLOSES = dt.datetime(2026, 12, 31, 14, 0)  # 22:00 in Asia/Shanghai
EXAM = {
    "id": "exam", "title": "年度测试",
    "opens": "2026-12-01T08:00:00+08:00", "closes": "2026-12-31T22:00:00+08:00",
    "time_limit_minutes": 30, "pass_score": 60, "attempts": 2, "credit_hours_on_pass": 2,
    "audience": "all", "review": "after_close",
    "sections": [{"bank": "tb", "count": 4, "points": 20, "types": ["single"]},
                 {"bank": "tb", "count": 1, "points": 20, "types": ["judge"]}],
}


@pytest.fixture
def quizzes(ctx: Flask, tmp_path: Path) -> Path:
    root = tmp_path / "quizzes"
    load(root, EXAM, LIVE, PRACTICE)
    return root


def at(minutes: float) -> dt.datetime:
    return OPENS + dt.timedelta(days=1, minutes=minutes)


def question_ids(attempt: Attempt) -> list[str]:
    return [q["id"] for q in attempt_payload(db.session, attempt, at(0))["questions"]]


def answer_all(attempt: Attempt, now: dt.datetime, *, wrong: bool = False) -> None:
    for position, response in correct(attempt.id).items():
        if wrong:
            response = None
        save_answer(db.session, attempt, position, response, now)


def credits(member_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(CreditEntry).where(
        CreditEntry.member_id == member_id)) or 0


# -- draws ---------------------------------------------------------------------------

def test_draws_are_deterministic_for_a_seed(quizzes: Path, make_member: MakeMember) -> None:
    one, two, three = make_member(), make_member(), make_member()
    first = start_attempt(db.session, "exam", one, at(0), seed=42)
    second = start_attempt(db.session, "exam", two, at(0), seed=42)
    shown = attempt_payload(db.session, first, at(0))["questions"]
    assert shown == attempt_payload(db.session, second, at(0))["questions"]
    assert [q["type"] for q in shown] == ["single"] * 4 + ["judge"]
    other = start_attempt(db.session, "exam", three, at(0), seed=7)
    assert attempt_payload(db.session, other, at(0))["questions"] != shown


def test_a_retake_prefers_unseen_questions(quizzes: Path, make_member: MakeMember) -> None:
    member = make_member()
    first = start_attempt(db.session, "exam", member, at(0), seed=1)
    submit(db.session, first.id, at(5))
    second = start_attempt(db.session, "exam", member, at(10), seed=1)
    assert second.number == 2
    assert not set(question_ids(first)) & set(question_ids(second))
    submit(db.session, second.id, at(12))
    with pytest.raises(Refused, match="次数已用完"):
        start_attempt(db.session, "exam", member, at(15))


def test_a_bank_edit_never_changes_a_running_attempt(quizzes: Path, make_member: MakeMember
                                                     ) -> None:
    member = make_member()
    attempt = start_attempt(db.session, "exam", member, at(0), seed=3)
    before = attempt_payload(db.session, attempt, at(0))["questions"]
    for question in BANK["questions"]:
        question["stem"] += "（修订）"
    try:
        load(quizzes, EXAM, LIVE, PRACTICE)
    finally:
        for question in BANK["questions"]:
            question["stem"] = question["stem"].removesuffix("（修订）")
    assert attempt_payload(db.session, attempt, at(1))["questions"] == before


# -- the clock -----------------------------------------------------------------------

def test_resume_after_reload_keeps_the_remaining_time(quizzes: Path, make_member: MakeMember
                                                      ) -> None:
    member = make_member()
    attempt = start_attempt(db.session, "exam", member, at(0))
    assert attempt_payload(db.session, attempt, at(0))["remaining_seconds"] == 30 * 60
    save_answer(db.session, attempt, 1, "A", at(3))
    member_id, attempt_id = member.id, attempt.id
    db.session.expunge_all()  # a reload: nothing kept in the process
    member = db.session.get_one(Member, member_id)
    again = start_attempt(db.session, "exam", member, at(10.5))
    assert again.id == attempt_id
    payload = attempt_payload(db.session, again, at(10.5))
    assert payload["remaining_seconds"] == 19 * 60 + 30
    assert payload["responses"] == {"1": "A"}


def test_a_save_in_grace_counts_and_after_grace_is_refused(quizzes: Path,
                                                           make_member: MakeMember) -> None:
    member = make_member()
    attempt = start_attempt(db.session, "exam", member, at(0))
    deadline = attempt.deadline_at
    assert deadline == at(30)
    saved = save_answer(db.session, attempt, 1, "B", deadline + dt.timedelta(seconds=59))
    assert saved == deadline + dt.timedelta(seconds=59)
    with pytest.raises(Refused) as info:
        save_answer(db.session, attempt, 2, "B", deadline + GRACE + dt.timedelta(seconds=1))
    assert info.value.status == 409
    finished = db.session.get(Attempt, attempt.id)
    assert finished.status == "expired" and finished.submitted_at == deadline
    assert attempt_payload(db.session, finished, at(40))["responses"] == {"1": "B"}


def test_a_response_must_have_the_shape_of_its_type(quizzes: Path, make_member: MakeMember
                                                    ) -> None:
    attempt = start_attempt(db.session, "live", make_member(), utcnow())
    kinds = {q["position"]: q["type"] for q in
             attempt_payload(db.session, attempt, utcnow())["questions"]}
    bad = {"single": "Z", "judge": "maybe", "multiple": "A", "blank": ["x"]}
    for position, kind in kinds.items():
        with pytest.raises(Refused, match="格式"):
            save_answer(db.session, attempt, position, bad[kind], utcnow())
    with pytest.raises(Refused):
        save_answer(db.session, attempt, 99, "A", utcnow())


def test_the_sweep_finishes_expired_attempts_at_their_deadline(
        app: Flask, quizzes: Path, make_member: MakeMember) -> None:
    early, late = make_member(), make_member()
    expiring = start_attempt(db.session, "exam", early, at(0))
    answer_all(expiring, at(10))
    running = start_attempt(db.session, "exam", late, at(20))
    assert finish_expired(db.session, at(31)) == 0  # still in grace
    assert finish_expired(db.session, at(32)) == 1
    done = db.session.get(Attempt, expiring.id)
    assert (done.status, done.submitted_at, done.passed) == ("expired", at(30), True)
    assert float(done.score) == 100.0
    assert db.session.get(Attempt, running.id).status == "open"
    assert credits(early.id) == 1
    assert finish_expired(db.session, at(120)) == 1

    # The command uses the real clock: an attempt started two hours ago is over.
    stale = start_attempt(db.session, "live", early, utcnow() - dt.timedelta(hours=2))
    result = app.test_cli_runner().invoke(args=["sweep-attempts"])
    assert result.exit_code == 0 and "finished 1 " in result.output
    assert db.session.get(Attempt, stale.id, populate_existing=True).status == "expired"


# -- one attempt means one ---------------------------------------------------------------

def test_parallel_submits_grade_once_and_award_once(app: Flask, quizzes: Path,
                                                    make_member: MakeMember) -> None:
    member = make_member()
    attempt = start_attempt(db.session, "exam", member, at(0))
    answer_all(attempt, at(5))
    attempt_id, member_id, org_id = attempt.id, member.id, member.org_id
    db.session.remove()
    barrier = threading.Barrier(6)
    outcomes: list[bool] = []
    errors: list[BaseException] = []

    def hand_in() -> None:
        with app.app_context():
            try:
                barrier.wait()
                outcomes.append(submit(db.session, attempt_id, at(6))[1])
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=hand_in) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(outcomes) == [False] * 5 + [True]
    done = db.session.get(Attempt, attempt_id)
    assert done.status == "submitted" and done.passed and float(done.score) == 100.0
    entries = db.session.scalars(select(CreditEntry).where(
        CreditEntry.member_id == member_id)).all()
    assert [(e.source_key, e.source_type, float(e.hours), e.org_id) for e in entries] == [
        ("test:exam", "test", 2.0, org_id)]


def test_credit_once_on_pass_and_none_on_fail_or_practice(quizzes: Path,
                                                          make_member: MakeMember) -> None:
    member, failing = make_member(), make_member()
    first = start_attempt(db.session, "exam", member, at(0))
    answer_all(first, at(1))
    graded, won = submit(db.session, first.id, at(2))
    assert won and graded.passed and credits(member.id) == 1
    assert submit(db.session, first.id, at(3))[1] is False  # a second submit is a no-op
    second = start_attempt(db.session, "exam", member, at(10))
    answer_all(second, at(11))
    assert submit(db.session, second.id, at(12))[0].passed
    assert credits(member.id) == 1

    bad = start_attempt(db.session, "exam", failing, at(0))
    answer_all(bad, at(1), wrong=True)
    graded, _ = submit(db.session, bad.id, at(2))
    assert (float(graded.score), float(graded.max_score), graded.passed) == (0.0, 100.0, False)
    assert credits(failing.id) == 0

    drill = start_attempt(db.session, "drill", failing, at(0))
    assert drill.deadline_at is None
    answer_all(drill, at(500))
    assert submit(db.session, drill.id, at(600))[0].passed
    assert credits(failing.id) == 0
    for n in range(3):  # unlimited, untimed
        again = start_attempt(db.session, "drill", failing, at(700 + n))
        assert again.number == n + 2
        submit(db.session, again.id, at(10_000 + n))


# -- overrides and audience ---------------------------------------------------------------

def test_overrides_need_a_reason_and_change_time_attempts_and_window(
        quizzes: Path, make_member: MakeMember) -> None:
    member, other = make_member(), make_member()
    with pytest.raises(Refused, match="原因"):
        add_override(db.session, test_id="exam", member_id=member.id, reason=" ",
                     extra_minutes=10)
    add_override(db.session, test_id="exam", member_id=member.id, reason="视力障碍，延时",
                 extra_minutes=15, extra_attempts=1)
    attempt = start_attempt(db.session, "exam", member, at(0))
    assert attempt.deadline_at == at(45)
    submit(db.session, attempt.id, at(40))
    for n in range(2):  # two attempts plus one extra
        submit(db.session, start_attempt(db.session, "exam", member, at(50 + n)).id, at(51 + n))
    with pytest.raises(Refused, match="次数"):
        start_attempt(db.session, "exam", member, at(60))

    after = CLOSES + dt.timedelta(days=2)
    with pytest.raises(Refused, match="已结束"):
        start_attempt(db.session, "exam", other, after)
    add_override(db.session, test_id="exam", member_id=other.id, reason="住院，补考",
                 opens_at=dt.datetime(2027, 1, 2, 8, tzinfo=dt.timezone(dt.timedelta(hours=8))),
                 closes_at=dt.datetime(2027, 1, 5, 22, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    late = start_attempt(db.session, "exam", other, after)
    assert late.number == 1 and late.deadline_at == after + dt.timedelta(minutes=30)
    # The key stays hidden from everyone until the last window closes.
    submit(db.session, late.id, after + dt.timedelta(minutes=5))
    test = db.session.get(QuizTest, "exam")
    first = db.session.get(Attempt, attempt.id)
    assert not review_allowed(db.session, test, first, after)
    assert review_allowed(db.session, test, first, dt.datetime(2027, 1, 5, 14))


def test_audience_covers_an_organization_subtree(ctx: Flask, tmp_path: Path,
                                                 make_member: MakeMember) -> None:
    load(tmp_path / "q", {**EXAM, "audience": ["QC-LQ"]})
    inside, outside = make_member("QC-LQ-02"), make_member("QC-SQ-01")
    assert start_attempt(db.session, "exam", inside, at(0)).number == 1
    with pytest.raises(Refused) as info:
        start_attempt(db.session, "exam", outside, at(0))
    assert info.value.status == 404
    assert [t["id"] for t in member_tests(db.session, inside, at(1))] == ["exam"]
    assert member_tests(db.session, outside, at(1)) == []
    states = {t["id"]: t["state"] for t in member_tests(db.session, inside, at(1))}
    assert states == {"exam": "in_progress"}


# -- review ------------------------------------------------------------------------------

@pytest.mark.parametrize(("policy", "before_close", "after_close"), [
    ("after_submit", True, True), ("after_close", False, True), ("never", False, False)])
def test_review_follows_the_setting(ctx: Flask, tmp_path: Path, make_member: MakeMember,
                                    policy: str, before_close: bool, after_close: bool) -> None:
    load(tmp_path / "q", {**EXAM, "review": policy})
    attempt = start_attempt(db.session, "exam", make_member(), at(0))
    test = db.session.get(QuizTest, "exam")
    assert not review_allowed(db.session, test, attempt, at(1))  # open: never
    attempt, _ = submit(db.session, attempt.id, at(2))
    assert review_allowed(db.session, test, attempt, at(3)) is before_close
    assert review_allowed(db.session, test, attempt, CLOSES) is after_close
    assert ("review" in attempt_payload(db.session, attempt, at(3))) is before_close
    if after_close:
        review = attempt_payload(db.session, attempt, CLOSES)["review"]
        assert {item["explanation"] for item in review} <= set(EXPLANATIONS)


# -- the API: no key before review -------------------------------------------------------------

def keys_of(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


def test_an_attempt_through_the_api_never_leaks_the_key(
        app: Flask, quizzes: Path, client: Any, make_member: MakeMember) -> None:
    member, stranger = make_member(), make_member()
    token = login(client, member)
    headers = {"X-CSRFToken": token}
    bodies: list[str] = []

    def call(method: str, url: str, **kwargs: Any) -> Any:
        response = client.open(url, method=method, headers=headers, **kwargs)
        bodies.append(response.get_data(as_text=True))
        return response

    listed = call("GET", "/api/quiz/tests").get_json()["tests"]
    assert {t["id"]: t["state"] for t in listed}["live"] == "available"
    started = call("POST", "/api/quiz/tests/live/attempts")
    assert started.status_code == 200, started.get_data(as_text=True)
    payload = started.get_json()
    attempt_id = payload["attempt_id"]
    assert 29 * 60 < payload["remaining_seconds"] <= 30 * 60
    assert len(payload["questions"]) == 5
    for position, response in correct(attempt_id).items():
        saved = call("PUT", f"/api/quiz/attempts/{attempt_id}/answers/{position}",
                     json={"response": response})
        assert saved.status_code == 200, saved.get_data(as_text=True)
        assert saved.get_json()["saved_at"]
    assert call("POST", f"/api/quiz/attempts/{attempt_id}/answers/1",
                json={"response": ["nonsense"]}).status_code == 400
    resumed = call("GET", f"/api/quiz/attempts/{attempt_id}").get_json()
    assert resumed["attempt_id"] == attempt_id and len(resumed["responses"]) == 5
    again = call("POST", "/api/quiz/tests/live/attempts").get_json()
    assert again["attempt_id"] == attempt_id
    call("GET", "/api/quiz/tests")

    for body in bodies:
        assert "answer" not in keys_of(json.loads(body)), body
        assert "explanation" not in body
        for text in [*EXPLANATIONS, "三十二学时整"]:
            assert text not in body, body

    outsider = app.test_client()
    other = login(outsider, stranger)
    assert outsider.get(f"/api/quiz/attempts/{attempt_id}").status_code == 404
    assert outsider.post(f"/api/quiz/attempts/{attempt_id}/submit",
                         headers={"X-CSRFToken": other}).status_code == 404
    assert app.test_client().get("/api/quiz/tests").status_code == 401
    submitted = client.post(f"/api/quiz/attempts/{attempt_id}/submit",
                            headers={"X-CSRFToken": token})
    result = submitted.get_json()
    assert (result["score"], result["passed"], result["status"]) == (100.0, True, "submitted")
    assert {item["explanation"] for item in result["review"]} <= set(EXPLANATIONS)
    assert credits(member.id) == 1
    refused = client.post("/api/quiz/tests/live/attempts", headers={"X-CSRFToken": token})
    assert refused.status_code == 403 and refused.get_json()["error"] == "作答次数已用完"
    assert client.get("/api/quiz/tests").status_code == 200


def test_after_close_review_hides_the_key_in_the_submit_response(
        ctx: Flask, tmp_path: Path, client: Any, make_member: MakeMember) -> None:
    load(tmp_path / "q", {**LIVE, "review": "after_close"})
    member = make_member()
    token = login(client, member)
    started = client.post("/api/quiz/tests/live/attempts", headers={"X-CSRFToken": token})
    attempt_id = started.get_json()["attempt_id"]
    body = client.post(f"/api/quiz/attempts/{attempt_id}/submit",
                       headers={"X-CSRFToken": token}).get_data(as_text=True)
    result = json.loads(body)
    assert result["status"] == "submitted" and result["passed"] is False
    assert "review" not in result and "answer" not in keys_of(result)
    assert not any(text in body for text in EXPLANATIONS)
    assert client.post("/api/quiz/tests/live/attempts").status_code == 400  # no CSRF token


def test_concurrent_saves_and_starts_never_fail_on_a_busy_database(
        app: Flask, quizzes: Path, make_member: MakeMember) -> None:
    """Many examinees at once: no "database is locked" on SQLite, nothing lost anywhere."""
    members = [make_member() for _ in range(6)]
    ids = [m.id for m in members]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(ids))

    def examinee(member_id: int) -> None:
        try:
            with app.app_context():
                barrier.wait()
                member = db.session.get_one(Member, member_id)
                attempt = start_attempt(db.session, "exam", member, at(1))
                for position, response in correct(attempt.id).items():
                    save_answer(db.session, attempt, position, response, at(2))
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=examinee, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.rollback()  # end this thread's older read snapshot (SQLite)
    stored = db.session.scalar(select(func.count()).select_from(AttemptAnswer))
    assert stored == len(ids) * 5


def test_practice_answers_get_feedback_at_once(client, quizzes: Path,
                                               make_member: MakeMember) -> None:
    from tests.app.conftest import login

    member = make_member()
    token = login(client, member)
    started = client.post("/api/quiz/tests/drill/attempts", headers={"X-CSRFToken": token})
    body = started.get_json()
    first = body["questions"][0]
    right = correct(body["attempt_id"])[first["position"]]
    reply = client.put(f"/api/quiz/attempts/{body['attempt_id']}/answers/{first['position']}",
                       json={"response": right}, headers={"X-CSRFToken": token}).get_json()
    assert reply["feedback"]["fraction"] == 1 and reply["feedback"]["explanation"]
    # A real test never tells during the attempt.
    live = client.post("/api/quiz/tests/live/attempts", headers={"X-CSRFToken": token})
    live_body = live.get_json()
    q = live_body["questions"][0]
    saved = client.put(f"/api/quiz/attempts/{live_body['attempt_id']}/answers/{q['position']}",
                       json={"response": correct(live_body["attempt_id"])[q["position"]]},
                       headers={"X-CSRFToken": token}).get_json()
    assert "feedback" not in saved


def test_wrong_book_keeps_the_latest_mistakes_only(client, quizzes: Path,
                                                   make_member: MakeMember,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from learning_app.quiz.wrong_book import wrong_book
    from tests.app.conftest import login

    member = make_member()
    first = start_attempt(db.session, "drill", member, at(1))
    keys = correct(first.id)
    wrong_pos, right_pos = sorted(keys)[:2]
    wrong_choice = next(k for k in "ABCD" if k != keys[wrong_pos])
    save_answer(db.session, first, wrong_pos, wrong_choice, at(2))
    save_answer(db.session, first, right_pos, keys[right_pos], at(2))
    book = wrong_book(db.session, member.id, at(3))
    assert [item["response"] for item in book] == [wrong_choice]
    missed_id = book[0]["question_id"]
    # A real test whose answers are not published yet never shows up in the book.
    exam = start_attempt(db.session, "exam", member, at(4))
    answer_all(exam, at(5), wrong=True)
    submit(db.session, exam.id, at(6))
    assert {item["question_id"] for item in wrong_book(db.session, member.id, at(7))} == {
        missed_id}
    token = login(client, member)
    # The page on the same day: after the exam closes its answers would count too.
    monkeypatch.setattr("learning_app.quiz.pages.utcnow", lambda: at(7))
    page = client.get("/app/tests/wrong-book").get_data(as_text=True)
    assert page.count('data-testid="wrong-item"') == 1 and "您的答案" in page
    assert token
    # Answered right later: out of the book.
    save_answer(db.session, first, wrong_pos, keys[wrong_pos], at(8))
    assert missed_id not in {i["question_id"] for i in wrong_book(db.session, member.id, at(9))}


def test_a_save_racing_a_submit_waits_for_it_and_is_refused(app: Flask, quizzes: Path,
                                                           make_member: MakeMember) -> None:
    """An answer acknowledged after grading would be lost: the save must wait on
    the attempt row held by a submit in progress, then find the attempt closed."""
    member = make_member()
    attempt = start_attempt(db.session, "exam", member, at(0))
    attempt_id, member_id = attempt.id, member.id
    db.session.remove()
    outcome: list[object] = []
    with db.engine.connect() as submitter:
        # A submit's first statement, its transaction left open.
        submitter.execute(update(Attempt.__table__).where(Attempt.__table__.c.id == attempt_id)
                          .values(status="submitted"))

        def save() -> None:
            with app.app_context():
                try:
                    save_for(db.session, attempt_id, member_id, 1, None, at(1))
                    outcome.append("saved")
                except Refused as refused:
                    outcome.append(refused.status)
                finally:
                    db.session.remove()

        thread = threading.Thread(target=save)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive() and outcome == []  # waiting on the row, not reading past it
        submitter.commit()
    thread.join(10)
    assert outcome == [409]
    assert db.session.scalar(select(func.count()).select_from(AttemptAnswer).where(
        AttemptAnswer.attempt_id == attempt_id)) == 0


def test_save_rules_without_a_database() -> None:
    now = at(0)
    state = SaveState(status="open", deadline_at=now, member_status="active",
                      auth_version="3", must_change_password=False,
                      presented={"type": "single", "options": [{"key": "A"}, {"key": "B"}]},
                      practice=False)
    assert check(state, "B", now + GRACE, GRACE, "3") == state.presented
    refusals = {
        "no attempt": (None, "A", now, "3"),
        "signed out by a password change": (state, "A", now, "2"),
        "past the grace": (state, "A", now + GRACE + dt.timedelta(seconds=1), "3"),
        "not an option": (state, "C", now, "3"),
    }
    statuses = {}
    for name, (given, response, moment, version) in refusals.items():
        with pytest.raises(SaveRefused) as refused:
            check(given, response, moment, GRACE, version)
        statuses[name] = (refused.value.status, refused.value.expired)
    assert statuses == {"no attempt": (404, False), "signed out by a password change": (401, False),
                        "past the grace": (409, True), "not an option": (400, False)}


def test_the_autosave_checks_the_member_without_the_user_load(
        app: Flask, quizzes: Path, client: Any, make_member: MakeMember) -> None:
    """The answer endpoint skips Flask-Login's user load; its SQL must refuse
    what the user load would have: a stranger, no session, an initial password,
    a password changed elsewhere."""
    member, stranger = make_member(), make_member()
    token = login(client, member)
    attempt_id = client.post("/api/quiz/tests/live/attempts",
                             headers={"X-CSRFToken": token}).get_json()["attempt_id"]
    url = f"/api/quiz/attempts/{attempt_id}/answers/1"
    outsider = app.test_client()
    other = login(outsider, stranger)
    assert outsider.put(url, json={"response": None},
                        headers={"X-CSRFToken": other}).status_code == 404
    anonymous = app.test_client()
    assert anonymous.put(url, json={"response": None}).status_code in (400, 401)  # CSRF first
    db.session.execute(update(Member.__table__).where(Member.__table__.c.id == member.id)
                       .values(must_change_password=True))
    db.session.commit()
    reply = client.put(url, json={"response": None}, headers={"X-CSRFToken": token})
    assert (reply.status_code, reply.get_json()["error"]) == (403, "请先修改初始密码")
    db.session.execute(update(Member.__table__).where(Member.__table__.c.id == member.id)
                       .values(must_change_password=False,
                               auth_version=Member.__table__.c.auth_version + 1))
    db.session.commit()
    assert client.put(url, json={"response": None},
                      headers={"X-CSRFToken": token}).status_code == 401
    assert db.session.scalar(select(func.count()).select_from(AttemptAnswer)) == 0
