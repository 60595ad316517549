"""Refusals and error responses: JSON under /api/, short Chinese pages elsewhere.

``Refused`` is the one way any part of the app says no for a reason the
person can act on (a closed test, a transfer date before the last one, a
heartbeat from a signed-out tab): an HTTP status and a Chinese message. Plain
functions raise it; the handler below turns it into a response, so views
don't each decide how to show it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from flask import Flask, flash, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
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
    413: "上传的文件太大，请拆分后分批上传。",
    429: "操作太频繁，请稍等几分钟再试。",
    500: "系统出了点问题，请稍后再试。",
    503: "服务暂时不可用，请稍后再试。",
}

# The server's state, not the person's input: 503, and say that nothing was saved.
DISK_FULL = "服务器磁盘已满，这次的操作没有保存。请稍后再试，并告知系统管理员。"
READ_ONLY = "数据库目前只能读不能写，这次的操作没有保存。请稍后再试，并告知系统管理员。"
CONNECTION_LOST = "与数据库的连接刚刚中断，这次的操作没有保存，请再试一次。"
_SQLITE_FULL, _SQLITE_READONLY = 13, 8


def database_trouble(error: BaseException) -> str | None:
    """The message for a database error caused by the server's state (disk full,
    read-only database), or None for any other error."""
    orig = getattr(error, "orig", None) or error
    state = getattr(orig, "sqlstate", None) or ""
    code = (getattr(orig, "sqlite_errorcode", None) or 0) & 0xFF  # primary result code
    text = str(orig).lower()
    # PostgreSQL 53100 disk_full ("could not extend file"), 25006 read_only_sql_transaction.
    if (state == "53100" or code == _SQLITE_FULL or "database or disk is full" in text
            or "could not extend file" in text or "no space left on device" in text):
        return DISK_FULL
    if state == "25006" or code == _SQLITE_READONLY or "readonly database" in text:
        return READ_ONLY
    return None


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


def database_error(error: Exception) -> Any:
    """Disk full, a read-only database, a connection lost: 503 with what happened.
    Any other database error stays what it was (a bug: 500, logged). Raised
    through SQLAlchemy (DBAPIError) or by the driver itself (the pipelined paths)."""
    message = database_trouble(error)
    if message is None and getattr(error, "connection_invalidated", False):
        message = CONNECTION_LOST
    if message is None:
        raise error
    db.session.rollback()
    if request.path.startswith("/api/"):
        return {"error": message}, 503
    return render_template("error.html", status=503, message=MESSAGES[503],
                           detail=message), 503


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(Refused, refused_response)
    app.register_error_handler(DBAPIError, database_error)
    app.register_error_handler(sqlite3.Error, database_error)
    with contextlib.suppress(ImportError):  # PostgreSQL's driver, when installed
        import psycopg

        app.register_error_handler(psycopg.Error, database_error)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        # The page was open too long or cookies were cleared: say what to do.
        return _respond(400, f"CSRF: {error.description} 请刷新页面后重试。")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if request.path == "/" or not request.path.startswith(("/app/", "/api/")):
            return error  # the static site's own 404 page is served by the site blueprint
        return _respond(error.code or 500, error.description if error.code == 400 else None)
