"""Error responses: JSON under /api/, short Chinese pages elsewhere."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES: dict[int, str] = {
    400: "请求有误，请返回上一页重试。",
    403: "您没有查看这个页面的权限。",
    404: "没有找到这个页面。",
    405: "不支持这种操作。",
    429: "操作太频繁，请稍等几分钟再试。",
    500: "系统出了点问题，请稍后再试。",
}


def _respond(status: int, detail: str | None = None) -> Any:
    message = MESSAGES.get(status, MESSAGES[500])
    if request.path.startswith("/api/"):
        return {"error": detail or message}, status
    return render_template("error.html", status=status, message=message, detail=detail), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        # The page was open too long or cookies were cleared: say what to do.
        return _respond(400, f"CSRF: {error.description} 请刷新页面后重试。")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if request.path == "/" or not request.path.startswith(("/app/", "/api/")):
            return error  # the static site's own 404 page is served by the site blueprint
        return _respond(error.code or 500, error.description if error.code == 400 else None)
