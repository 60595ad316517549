"""Refuse NUL bytes in parameters, form fields and JSON before any view runs.

PostgreSQL text can't hold U+0000 (psycopg raises on the way in), SQLite
stores it and truncates it in places, and no person types one: a NUL is
always an attack or a broken client. One check here keeps every query,
search and save from meeting it. Uploaded files are not read here; the
import readers refuse control characters cell by cell.
"""

from __future__ import annotations

from flask import Flask, request

from learning_app.errors import Refused

_JSON_NUL = (b"\\u0000", b"\\U0000")


def _has_nul(values: list[str]) -> bool:
    return any("\x00" in value for value in values)


def refuse_nul() -> None:
    if "\x00" in request.path or b"\x00" in request.query_string or _has_nul(
            [value for _, value in request.args.items(multi=True)]):
        raise Refused(400, "请求中含有不允许的控制字符")
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.is_json:
            body = request.get_data(cache=True)
            if b"\x00" in body or any(marker in body for marker in _JSON_NUL):
                raise Refused(400, "请求中含有不允许的控制字符")
        elif _has_nul([value for _, value in request.form.items(multi=True)]):
            raise Refused(400, "请求中含有不允许的控制字符")


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul)
