"""JSON of the participation figures, for the dashboard's charts (admins, own subtree)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from learning_app.auth.access import admin_required
from learning_app.extensions import db
from learning_app.reports import views
from learning_app.reports.figures import report

bp = Blueprint("reports_api", __name__, url_prefix="/api/reports")


@bp.get("/participation")
@admin_required
def participation() -> Any:
    # Errors (401 not signed in, 403, 404 outside the subtree, 400 bad period) come out
    # as JSON from the unauthorized handler and errors.py, as for every /api/ path.
    today = views.local_today()  # through views: one clock for the page and its charts
    org, period = views.resolve(today)
    result = report(db.session, org, period.key, today=today)
    return jsonify(
        org={"id": org.id, "code": org.code, "name": org.name},
        period={"key": period.key, "label": period.label},
        as_of=result.as_of.isoformat(),
        figures=result.figures.as_dict(),
        children=[{"id": c.id, "code": c.code, "name": c.name, "figures": f.as_dict()}
                  for c, f in result.children],
        months=[{"key": m.key, "label": m.label, "figures": f.as_dict()}
                for m, f in result.months],
    )
