"""The admin page: upload a roster file, see the counts or every problem; get templates."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_login import current_user

from learning_app.auth.access import admin_required, scope_root
from learning_app.cli import add_commands
from learning_app.errors import RowProblem, SheetRejected
from learning_app.extensions import db
from learning_app.imports.cli import import_members_command, import_orgs_command
from learning_app.imports.limits import MAX_UPLOAD_BYTES, FileLimits, megabytes
from learning_app.imports.problems import ImportResult
from learning_app.imports.readers import read_table
from learning_app.imports.scope import Importer, Scope
from learning_app.imports.service import columns_of, import_table, record_refusal
from learning_app.imports.spec import COLUMNS, KINDS
from learning_app.imports.workbook import XLSX_MIME, template_workbook
from learning_app.spreadsheet import display_name

bp = Blueprint("admin_imports", __name__, url_prefix="/app/admin/imports", cli_group=None)
add_commands(bp, import_orgs_command, import_members_command)
SHOW_PROBLEMS = 500  # beyond this a table stops helping; the count still tells the size


def _page(status: int = 200, *, kind: str = "members", result: ImportResult | None = None,
          problems: list[RowProblem] | None = None, error: str | None = None,
          filename: str = "") -> Any:
    scope = None if current_user.role_def.whole_county else scope_root()
    limits = FileLimits.from_config(current_app.config)
    return render_template("admin/imports.html", kinds=KINDS, columns=COLUMNS, kind=kind,
                           result=result, problems=(problems or [])[:SHOW_PROBLEMS],
                           problem_count=len(problems or []), error=error,
                           filename=display_name(filename) if filename else "", scope=scope,
                           max_size=megabytes(MAX_UPLOAD_BYTES), max_rows=limits.max_rows), status


@bp.get("/")
@admin_required
def index() -> Any:
    return _page(kind=request.args.get("kind", "members"))


@bp.post("/")
@admin_required
def upload() -> Any:
    kind = request.form.get("kind", "")
    if kind not in KINDS:
        return _page(400, error="请选择导入组织还是党员")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(400, kind=kind, error="请选择要导入的文件")
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return _page(413, kind=kind, error=f"文件太大（超过{megabytes(MAX_UPLOAD_BYTES)}），"
                                           "请分成几个文件导入")
    # An org admin's rows must all lie in their subtree; a county admin's anywhere.
    scope = None if current_user.role_def.whole_county else Scope.of(scope_root())
    # Bounded reading (xlsx_guard, limits): a hostile file is refused in seconds and
    # the worker is free again; it never reaches the import lock.
    limits = FileLimits.from_config(current_app.config)
    try:
        table = read_table(data, upload.filename, limits=limits, keep=columns_of(kind))
        del data  # the table is all that is needed from here on
        result = import_table(db.session, kind, table, scope=scope,
                              actor=Importer.of(current_user), source=upload.filename)
    except SheetRejected as exc:
        record_refusal(db.session, kind, upload.filename, exc.problems, scope)
        return _page(422, kind=kind, problems=exc.problems, filename=upload.filename)
    return _page(kind=kind, result=result, filename=upload.filename)


@bp.get("/template/<kind>.xlsx")
@admin_required
def template(kind: str) -> Any:
    if kind not in KINDS:
        abort(404)
    return send_file(io.BytesIO(template_workbook(kind)), mimetype=XLSX_MIME,
                     as_attachment=True, download_name=f"{KINDS[kind]}导入模板.xlsx")
