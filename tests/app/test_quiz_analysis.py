"""Item analysis: facility and discrimination index on hand-computed data, the page."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from learning_app.extensions import db
from learning_app.models import AttemptQuestion, Member, QuestionVersion
from learning_app.models.types import utcnow
from learning_app.quiz.analysis import (
    ItemRecord,
    analyse,
    analyse_test,
    discrimination,
    distribution,
    facility,
    first_attempt_counts,
    flags,
    pearson,
)
from learning_app.quiz.attempts import save_answer, start_attempt, submit
from tests.app.conftest import MakeMember, login
from tests.app.quiz_helpers import load_exam

# -- the pure functions ----------------------------------------------------------------

# Four attempts at three one-point items (rows: attempts; columns: items A, B, C).
MATRIX = [(1, 1, 1), (1, 0, 1), (0, 1, 0), (0, 0, 0)]


def _records() -> list[ItemRecord]:
    return [ItemRecord(attempt, item, float(mark), 1.0)
            for attempt, row in enumerate(MATRIX, start=1)
            for item, mark in enumerate(row, start=1)]


def test_facility_is_the_mean_mark_fraction() -> None:
    assert facility([1.0, 0.5, 0.0]) == 50.0
    assert facility([1.0, 1.0, 1.0, 0.0]) == 75.0
    assert facility([]) is None


def test_discrimination_by_hand() -> None:
    # Item A: marks 1,1,0,0; totals 3,2,1,0 → rest 2,1,1,0.
    # Deviations ±.5 and 1,0,0,-1: sxy = 1, sxx = 1, syy = 2 → r = 1/√2.
    assert discrimination([1, 1, 0, 0], [3, 2, 1, 0]) == pytest.approx(100 / math.sqrt(2))
    # Item B: marks 1,0,1,0; rest 2,2,0,0: sxy = 0 → r = 0.
    assert discrimination([1, 0, 1, 0], [3, 2, 1, 0]) == pytest.approx(0.0)
    # The weaker half gets it right: marks 0,0,1,1; totals 2,2,1,1 → rest 2,2,0,0 → r = -1.
    assert discrimination([0, 0, 1, 1], [2, 2, 1, 1]) == pytest.approx(-100.0)


def test_discrimination_is_undefined_without_spread_or_data() -> None:
    assert discrimination([1, 1, 1], [3, 2, 1]) is None  # everyone right: no variance
    assert discrimination([1, 0, 1], [2, 1, 2]) is None  # rest 1,1,1: no variance
    assert discrimination([1], [3]) is None
    assert pearson([], []) is None
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)


def test_flags() -> None:
    assert flags(95.0, 50.0) == ["easy"]
    assert flags(10.0, 50.0) == ["hard"]
    assert flags(50.0, -5.0) == ["negative"]
    assert flags(50.0, 10.0) == ["weak"]
    assert flags(50.0, 20.0) == []
    assert flags(90.0, None) == []
    assert flags(None, None) == []


def test_analyse_per_item() -> None:
    stats = {s.version_id: s for s in analyse(_records())}
    a, b, c = stats[1], stats[2], stats[3]
    assert (a.n, a.facility) == (4, 50.0)
    assert a.discrimination == pytest.approx(70.7107, abs=1e-3)
    assert c.discrimination == pytest.approx(a.discrimination)
    assert b.discrimination == pytest.approx(0.0, abs=1e-9) and b.flags == ["weak"]
    assert a.flags == [] and a.flag_labels == []
    assert b.flag_labels == ["区分度偏低"]


def test_analyse_with_points_and_negative_discrimination() -> None:
    # Item 2 (10 points) is answered right by the two weakest only.
    rows = [(10, 0, 10), (10, 0, 5), (0, 10, 0), (0, 10, 0)]
    records = [ItemRecord(attempt, item, float(mark), 10.0)
               for attempt, row in enumerate(rows, start=1)
               for item, mark in enumerate(row, start=1)]
    stats = {s.version_id: s for s in analyse(records)}
    assert stats[2].facility == 50.0
    assert stats[2].discrimination < 0 and "negative" in stats[2].flags
    assert stats[2].flag_labels == ["区分度为负"]
    assert stats[3].facility == pytest.approx(37.5)


def test_distribution_of_responses() -> None:
    single = {"type": "single", "options": {"A": "甲", "B": "乙", "C": "丙", "D": "丁"}}
    assert distribution(single, ["A", "A", "B", None, ""]) == {
        "options": {"A": 2, "B": 1, "C": 0, "D": 0}, "answers": [], "unanswered": 2}
    multiple = {"type": "multiple", "options": {"A": "甲", "B": "乙", "C": "丙"}}
    assert distribution(multiple, [["A", "C"], ["A"], []])["options"] == {"A": 2, "B": 0,
                                                                          "C": 1}
    judge = distribution({"type": "judge"}, [True, "false", False, None])
    assert judge["options"] == {"true": 1, "false": 2} and judge["unanswered"] == 1
    blank = distribution({"type": "blank"}, ["３２ 学时。", "32学时", "三十", "", None])
    assert blank["answers"] == [("32学时", 2), ("三十", 1)] and blank["unanswered"] == 2


# -- from the database and the page ---------------------------------------------------

# The test "ana" on bank "ab" (quiz_helpers.load_exam): q1..q4, keyed A, B, C, A.
AFTER_ANA = dt.datetime(2100, 1, 1)  # naive UTC, after "ana" closes (2099-12-31)


def take(member: Member, right: tuple[int, ...], *, hand_in: bool = True) -> None:
    """One attempt: right (1) or wrong (0) per question q1..q3; a wrong q3 left blank.

    Everyone gets q4 right: its discrimination is undefined."""
    now = utcnow()
    attempt = start_attempt(db.session, "ana", member, now)
    positions = dict(db.session.execute(
        select(QuestionVersion.question_id, AttemptQuestion.position)
        .join(AttemptQuestion, AttemptQuestion.question_version_id == QuestionVersion.id)
        .where(AttemptQuestion.attempt_id == attempt.id)).all())
    for n, ok in enumerate((*right, 1), start=1):
        response: Any = "ABCA"[n - 1] if ok else ("D" if n < 3 else None)
        save_answer(db.session, attempt, positions[f"q{n}"], response, now)
    if hand_in:
        submit(db.session, attempt.id, now)


@pytest.fixture
def taken(ctx: Flask, tmp_path: Path, make_member: MakeMember,
          monkeypatch: pytest.MonkeyPatch) -> None:
    load_exam(tmp_path / "quizzes")
    # The pages read the analysis after "ana" (audience: all) has closed: while it
    # runs, an editor or admin in its audience may not (test_quiz_bank_use.py).
    monkeypatch.setattr("learning_app.quiz.admin_views.utcnow", lambda: AFTER_ANA)
    members = [make_member() for _ in MATRIX]
    for member, row in zip(members, MATRIX, strict=True):
        take(member, row)
    take(members[-1], (1, 1, 1))  # a second attempt: not counted
    take(make_member(), (1, 1, 1), hand_in=False)  # still open: not counted


def test_analysis_uses_first_handed_in_attempts(taken: None) -> None:
    assert first_attempt_counts(db.session) == {"ana": 4}
    stats = {s.question_id: s for s in analyse_test(db.session, "ana")}
    assert [stats[q].n for q in ("q1", "q2", "q3")] == [4, 4, 4]
    assert stats["q1"].facility == 50.0 and stats["q1"].version == 1
    assert stats["q1"].discrimination == pytest.approx(70.7107, abs=1e-3)
    assert stats["q2"].discrimination == pytest.approx(0.0, abs=1e-9)
    assert stats["q2"].flags == ["weak"]
    assert stats["q1"].distribution["options"] == {"A": 2, "B": 0, "C": 0, "D": 2}
    assert stats["q3"].distribution["unanswered"] == 2
    assert stats["q4"].facility == 100.0 and stats["q4"].discrimination is None
    assert stats["q4"].flags == ["easy"]


@pytest.mark.parametrize("role", ["member", "org_admin"])
def test_members_and_org_admins_may_not_see_it(taken: None, client: FlaskClient,
                                               make_member: MakeMember, role: str) -> None:
    login(client, make_member(role=role, scope="QC-LQ" if role == "org_admin" else None))
    assert client.get("/app/quiz/analysis/").status_code == 403
    assert client.get("/app/quiz/analysis/ana").status_code == 403


@pytest.mark.parametrize("role", ["editor", "county_admin"])
def test_editors_and_county_admins_see_the_table(taken: None, client: FlaskClient,
                                                 make_member: MakeMember, role: str) -> None:
    login(client, make_member(role=role, scope="QC" if role == "county_admin" else None))
    index = client.get("/app/quiz/analysis/")
    assert index.status_code == 200
    html = index.get_data(as_text=True)
    assert "分析测试" in html and "<td>4</td>" in html and "试题分析" in html
    page = client.get("/app/quiz/analysis/ana")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "难度(通过率)" in html and "区分度" in html and "<svg" in html
    assert '<td class="facility">50.0</td>' in html
    assert '<td class="discrimination">70.7</td>' in html
    assert '<td class="discrimination">0.0</td>' in html
    assert '<td class="discrimination">—</td>' in html and "过易" in html
    assert "区分度偏低" in html and "第1题题干内容" in html
    assert "http://" not in html.split("<svg", 1)[1].split("</svg>")[0].replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert client.get("/app/quiz/analysis/nope").status_code == 404
