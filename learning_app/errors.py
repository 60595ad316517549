"""Refusals and error responses: JSON under /api/, short Chinese pages elsewhere.

``Refused`` is the one way any part of the app says no for a reason the
person can act on (a closed test, a transfer date before the last one, a
heartbeat from a signed-out tab): an HTTP status and a Chinese message. Plain
functions raise it; the handler below turns it into a response, so views
don't each decide how to show it.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import urlsplit

from flask import Flask, flash, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from learning_app.extensions import db


class Refused(Exception):
    """A request refused: ``status`` for HTTP, ``message`` for the person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

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


class RowProblem(NamedTuple):
    """One thing wrong in an uploaded table, where a clerk finds it in the spreadsheet:
    ``第R行 列：问题`` (the sheet's own row numbers; the header is row 1)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"第{self.row}行 {self.column}：{self.message}"


class SheetRejected(Exception):
    """A table (a roster import, a 题库 sheet) refused as a whole: nothing was written."""

    def __init__(self, problems: list[RowProblem]) -> None:
        # Stable sort: the problems of one row keep the order they were found in.
        self.problems = sorted(problems, key=lambda problem: problem.row)
        super().__init__(f"表格有 {len(self.problems)} 处问题，没有写入任何数据")


def _same_site_referrer() -> str | None:
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    return referrer if parts.netloc == request.host and parts.path.startswith("/app/") else None


def refused_response(error: Refused) -> Any:
    """JSON under /api/; on a page, back to the form with the message, or an error
    page when there is no form of ours to go back to. Nothing stays half-written."""
    db.session.rollback()
    if request.path.startswith("/api/"):
        return {"error": error.message}, error.status
    back = _same_site_referrer() if request.method == "POST" else None
    if back is not None:
        flash(error.message, "error")
        return redirect(back, 303)
    message = MESSAGES.get(error.status, MESSAGES[500])
    return render_template("error.html", status=error.status, message=message,
                           detail=error.message), error.status


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(Refused, refused_response)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        # The page was open too long or cookies were cleared: say what to do.
        return _respond(400, f"CSRF: {error.description} 请刷新页面后重试。")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if request.path == "/" or not request.path.startswith(("/app/", "/api/")):
            return error  # the static site's own 404 page is served by the site blueprint
        return _respond(error.code or 500, error.description if error.code == 400 else None)
