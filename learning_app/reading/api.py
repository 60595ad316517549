"""JSON endpoints the site's tracker script talks to (contract 3)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from learning_app.auth.identity import session_identity
from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.ops.health import health
from learning_app.reading.service import Beat, record

bp = Blueprint("reading", __name__, url_prefix="/api")
_VIEW_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
_ARTICLE_ID = re.compile(r"^[a-z0-9-]{1,80}$")


@bp.get("/ping")
def ping() -> Any:
    """Health check: 200 ``{"ok": true}`` while the database takes writes, 503
    ``{"ok": false, "error": …}`` when it can't (read-only, disk full). The check
    is cached for a second per worker: still the ceiling of the stack in benchmarks."""
    result = health(current_app._get_current_object(), db.engine)
    return jsonify(result), 200 if result["ok"] else 503


@bp.get("/reading/session")
@login_required
def session_info() -> Any:
    return jsonify(csrf_token=generate_csrf(), member=current_user.name)


def _flag(value: Any) -> bool:
    return value is True or value in ("true", "1", 1)


def parse_beat(data: Any) -> Beat:
    if not isinstance(data, dict):
        raise Refused(400, "请求格式不正确：需要 JSON 对象或表单字段")
    article_id, view_id = str(data.get("article_id", "")), str(data.get("view_id", ""))
    if not _ARTICLE_ID.match(article_id):
        raise Refused(400, "请求格式不正确：article_id 应为文章编号")
    if not _VIEW_ID.match(view_id):
        raise Refused(400, "请求格式不正确：view_id 应为8到64位字母、数字或连字符")
    try:
        seq = int(data.get("seq", ""))
    except (TypeError, ValueError):
        raise Refused(400, "请求格式不正确：seq 应为整数") from None
    if not 1 <= seq <= 1_000_000:
        raise Refused(400, "请求格式不正确：seq 应在1到1000000之间")
    return Beat(article_id, view_id, seq, _flag(data.get("resume")))


@bp.post("/reading/heartbeat")
def heartbeat() -> Any:
    identity = session_identity()
    if identity is None:
        return jsonify(error="请先登录"), 401
    # JSON from fetch(); form fields from navigator.sendBeacon (CSRF in the body).
    data = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    beat = parse_beat(data)
    return jsonify(record(db.session, identity.member_id, beat,
                          auth_version=identity.auth_version, session_id=identity.session_id))
