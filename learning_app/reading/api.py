"""JSON endpoints the site's tracker script talks to (contract 3)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from learning_app.auth.identity import session_identity
from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.reading.service import Beat, record

bp = Blueprint("reading", __name__, url_prefix="/api")
_VIEW_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
_ARTICLE_ID = re.compile(r"^[a-z0-9-]{1,80}$")


@bp.get("/ping")
def ping() -> Any:
    """A trivial endpoint: the ceiling of the stack in benchmarks and health checks."""
    return jsonify(ok=True)


@bp.get("/reading/session")
@login_required
def session_info() -> Any:
    return jsonify(csrf_token=generate_csrf(), member=current_user.name)


def _flag(value: Any) -> bool:
    return value is True or value in ("true", "1", 1)


def parse_beat(data: Any) -> Beat:
    if not isinstance(data, dict):
        raise Refused(400, "expected a JSON object or form fields")
    article_id, view_id = str(data.get("article_id", "")), str(data.get("view_id", ""))
    if not _ARTICLE_ID.match(article_id):
        raise Refused(400, "article_id: an article id")
    if not _VIEW_ID.match(view_id):
        raise Refused(400, "view_id: 8 to 64 letters, digits or hyphens")
    try:
        seq = int(data.get("seq", ""))
    except (TypeError, ValueError):
        raise Refused(400, "seq: a whole number") from None
    if not 1 <= seq <= 1_000_000:
        raise Refused(400, "seq: from 1 to 1000000")
    return Beat(article_id, view_id, seq, _flag(data.get("resume")))


@bp.post("/reading/heartbeat")
def heartbeat() -> Any:
    identity = session_identity()
    if identity is None:
        return jsonify(error="请先登录"), 401
    # JSON from fetch(); form fields from navigator.sendBeacon (CSRF in the body).
    data = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    beat = parse_beat(data)
    return jsonify(record(db.session, identity[0], beat, auth_version=identity[1]))
