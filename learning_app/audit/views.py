"""The audit log's page and export, for the county admin only.

Org admins are scoped to a subtree, and the log spans the county (and records
their own actions), so the page asks for a whole-county admin role, not just
an admin one. Reading is filtered by ``audit.query``; the export is itself
recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required

from learning_app.audit.actions import ACTIONS
from learning_app.audit.export import EXPORT_LIMIT, render_xlsx
from learning_app.audit.query import cursor, parse_filter, read_page, statement, view
from learning_app.audit.service import record
from learning_app.extensions import db
from learning_app.models import AuditEvent
from learning_app.models.types import local_today
from learning_app.reports.views import attachment

bp = Blueprint("audit", __name__, url_prefix="/app/admin/audit")
F = TypeVar("F", bound=Callable[..., Any])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def county_admin_required(view_function: F) -> F:
    """A whole-county admin role (``roles.ROLES``): everyone else gets 403."""
    @wraps(view_function)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        role = current_user.role_def
        if not (role.admin and role.whole_county):
            abort(403)
        return view_function(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


@bp.get("/")
@county_admin_required
def index() -> Any:
    f = parse_filter(request.args)
    page = read_page(db.session, f, before=cursor(request.args.get("before")),
                     after=cursor(request.args.get("after")))
    return render_template("admin/audit.html", f=f, actions=ACTIONS,
                           events=[view(event) for event in page.events], page=page)


@bp.get("/export.xlsx")
@county_admin_required
def export() -> Response:
    f = parse_filter(request.args)
    events = db.session.scalars(statement(f).order_by(AuditEvent.id.desc())
                                .limit(EXPORT_LIMIT).execution_options(yield_per=1000))
    body, rows = render_xlsx(events)
    record(db.session, "export", target_label="审计日志",
           after={"what": "审计日志", "filters": f.summary(), "format": "xlsx", "rows": rows})
    db.session.commit()
    response = Response(body, mimetype=XLSX)
    response.headers["Content-Disposition"] = attachment(
        f"审计日志_{local_today():%Y%m%d}.xlsx", f"audit_{local_today():%Y%m%d}.xlsx")
    response.headers["Cache-Control"] = "private, no-store"
    return response
