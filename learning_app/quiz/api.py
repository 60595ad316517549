"""JSON endpoints of the exam page (contract 4): tests, attempts, autosave, submit.

The server's clock decides everything; an attempt belongs to its member only
(anyone else gets 404); answer keys and explanations appear only in a
submitted attempt whose review time has come.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required

from learning_app.auth.identity import session_identity
from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.models import Attempt, Member
from learning_app.models.types import utcnow
from learning_app.quiz.attempts import (
    answer_feedback,
    attempt_payload,
    check_attempt_visible,
    expire_if_due,
    iso,
    member_tests,
    save_for,
    start_attempt,
    submit,
)

bp = Blueprint("quiz_api", __name__, url_prefix="/api/quiz")


def _member() -> Member:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _own_attempt(attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.member_id != current_user.id:
        raise Refused(404, "没有找到这次作答")
    return attempt


@bp.get("/tests")
@login_required
def tests() -> Any:
    return jsonify(tests=member_tests(db.session, _member(), utcnow()))


@bp.post("/tests/<test_id>/attempts")
@login_required
def start(test_id: str) -> Any:
    now = utcnow()
    attempt = start_attempt(db.session, test_id, _member(), now)
    return jsonify(attempt_payload(db.session, attempt, now))


@bp.get("/attempts/<bigid:attempt_id>")
@login_required
def resume(attempt_id: int) -> Any:
    now = utcnow()
    attempt = expire_if_due(db.session, _own_attempt(attempt_id), now)
    return jsonify(attempt_payload(db.session, attempt, now))


@bp.route("/attempts/<bigid:attempt_id>/answers/<int:position>", methods=["PUT", "POST"])
def answer(attempt_id: int, position: int) -> Any:
    # No login_required: the save checks the member inside its own SQL
    # (autosave.py), one query less on the exam's hottest request.
    identity = session_identity()
    if identity is None:
        raise Refused(401, "请先登录")
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or "response" not in data:
        raise Refused(400, "请求格式不正确：需要 {\"response\": …}")
    member_id, auth_version, session_id = identity
    now = utcnow()
    saved = save_for(db.session, attempt_id, member_id, position, data["response"], now,
                     auth_version=auth_version, session_id=session_id)
    body: dict[str, Any] = {"position": position, "saved_at": iso(saved.saved_at)}
    if saved.practice:
        # Practice gives feedback at once; it counts for nothing, so the key may show.
        attempt = _own_attempt(attempt_id)
        # Not while a running test draws from the question's bank (answer_feedback refuses).
        body["feedback"] = answer_feedback(db.session, attempt, position, data["response"],
                                           now)
    return jsonify(body)


@bp.post("/attempts/<bigid:attempt_id>/submit")
@login_required
def hand_in(attempt_id: int) -> Any:
    now = utcnow()
    attempt = expire_if_due(db.session, _own_attempt(attempt_id), now)
    if attempt.status == "open":
        check_attempt_visible(db.session, attempt, now)  # practice: before it is handed in
        attempt, _ = submit(db.session, attempt.id, now)
    return jsonify(attempt_payload(db.session, attempt, now))
