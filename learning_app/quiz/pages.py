"""The member's exam pages: the list of tests and the page that takes one.

The taking page is a shell: ``static/exam.js`` drives the JSON API
(``learning_app.quiz.api``). The list reads the same states the API reports.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from learning_app.extensions import db
from learning_app.ids import parse_id
from learning_app.models import Attempt, QuizTest
from learning_app.models.types import TZ, utcnow
from learning_app.quiz.attempts import definition, in_audience, member_tests
from learning_app.quiz.wrong_book import wrong_book

bp = Blueprint("quiz_pages", __name__, url_prefix="/app/tests")

STATE_LABELS = {
    "available": "可以作答",
    "in_progress": "作答中",
    "upcoming": "尚未开始",
    "closed": "已结束",
    "used_up": "已作答",
}


def local_time(value: str | None) -> str:
    """An ISO UTC stamp from the API as Asia/Shanghai ``2026-12-01 08:00``."""
    if not value:
        return ""
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def _last_attempt(test_id: str) -> Attempt | None:
    return db.session.query(Attempt).filter(
        Attempt.test_id == test_id, Attempt.member_id == current_user.id
    ).order_by(Attempt.number.desc()).first()


@bp.get("/")
@login_required
def index() -> Any:
    tests = member_tests(db.session, current_user._get_current_object(), utcnow())
    for test in tests:
        test["state_label"] = STATE_LABELS.get(test["state"], test["state"])
        test["opens_local"] = local_time(test["opens"])
        test["closes_local"] = local_time(test["closes"])
        last = _last_attempt(test["id"]) if test["attempts_used"] else None
        test["last_attempt_id"] = last.id if last is not None and last.status != "open" else None
    exams = [t for t in tests if not t["practice"]]
    practice = [t for t in tests if t["practice"]]
    return render_template("quiz/tests.html", exams=exams, practice=practice)


@bp.get("/wrong-book")
@login_required
def wrong_book_page() -> Any:
    items = wrong_book(db.session, current_user.id, utcnow())
    return render_template("quiz/wrong_book.html", items=items)


@bp.get("/<test_id>/take")
@login_required
def take(test_id: str) -> Any:
    test = db.session.get(QuizTest, test_id)
    if test is None or not in_audience(db.session, definition(test), current_user):
        abort(404)
    attempt_id = request.args.get("attempt", type=lambda raw: parse_id(raw, big=True))
    if attempt_id is not None:
        attempt = db.session.get(Attempt, attempt_id)
        if attempt is None or attempt.member_id != current_user.id or attempt.test_id != test_id:
            abort(404)
    return render_template("quiz/take.html", test=test, attempt_id=attempt_id)
