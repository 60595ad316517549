"""The participation dashboard for admins (contract 5): tiles, charts, drill-down, 督学提醒."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, render_template, request

from learning_app.audit.service import record
from learning_app.auth.access import admin_required, org_or_404, scope_root
from learning_app.cli import add_commands
from learning_app.credits.rules import format_hours
from learning_app.extensions import db
from learning_app.ids import parse_id
from learning_app.models import Organization
from learning_app.models.ledger import SOURCE_TYPES
from learning_app.models.types import local_today
from learning_app.reports.cli import report_group
from learning_app.reports.export import export_data, render_csv, render_xlsx
from learning_app.reports.figures import member_list, reminders, report
from learning_app.reports.participation import (
    DEFINITIONS,
    Counts,
    Figures,
    Period,
    PeriodError,
    parse_period,
    percent,
)

bp = Blueprint("reports", __name__, url_prefix="/app/reports", cli_group=None)
add_commands(bp, report_group)  # its subcommands take the app context themselves

REMINDER_LIMIT = 200
# Above a county's size a name list helps nobody (and reads a million rows):
# the list is shown from the county down.
REMINDER_MAX_ROLL = 30_000


def default_period(today: dt.date) -> Period:
    """The half-year running on ``today``."""
    return parse_period(f"{today.year}-H{1 if today.month <= 6 else 2}")


def period_choices(today: dt.date) -> list[tuple[str, list[Period]]]:
    """The current and previous month, quarter, half-year and year, for the select."""
    y, m = today.year, today.month
    prev_month = (y, m - 1) if m > 1 else (y - 1, 12)
    q = (m + 2) // 3
    prev_quarter = (y, q - 1) if q > 1 else (y - 1, 4)
    h = 1 if m <= 6 else 2
    prev_half = (y, 1) if h == 2 else (y - 1, 2)
    return [
        ("半年", [parse_period(f"{y}-H{h}"), parse_period(f"{prev_half[0]}-H{prev_half[1]}")]),
        ("季度", [parse_period(f"{y}-Q{q}"),
                  parse_period(f"{prev_quarter[0]}-Q{prev_quarter[1]}")]),
        ("月", [parse_period(f"{y}-{m:02d}"),
               parse_period(f"{prev_month[0]}-{prev_month[1]:02d}")]),
        ("年度", [parse_period(str(y)), parse_period(str(y - 1))]),
    ]


def resolve(today: dt.date) -> tuple[Organization, Period]:
    """The organization (inside the admin's subtree, else 404) and period of the request.

    A bad period key is a 400 whose detail is PeriodError's message.
    """
    raw_org = (request.args.get("org") or "").strip()
    if not raw_org:
        org = scope_root()
    elif (org_id := parse_id(raw_org)) is not None:
        org = org_or_404(org_id)
    else:
        abort(404)
    # The free text field wins over the select when filled in.
    key = (request.args.get("custom") or "").strip() or (request.args.get("period") or "").strip()
    try:
        period = parse_period(key) if key else default_period(today)
    except PeriodError as error:
        abort(400, description=str(error))
    return org, period


def trail_of(org: Organization) -> list[Organization]:
    """From the admin's scope root down to ``org``: never above the scope root."""
    root, trail = scope_root(), []
    node: Organization | None = org
    while node is not None and root.contains(node):
        trail.insert(0, node)
        node = node.parent
    return trail


def tiles(figures: Figures, on_track: int | None = None) -> list[dict[str, str]]:
    """The six figure tiles with the counts behind each.

    ``on_track`` (a running period): members at or above the target to date, since
    the period's own target reads near 0 % until its last weeks.
    """
    c = figures.counts
    hpm = figures.hours_per_member
    attained = f"达标 {c.attained} / 应学 {c.on_roll}"
    if on_track is not None:
        attained += f"（按全期目标）；按至今进度达标 {on_track} 人"
    return [
        {"name": "应学人数", "value": f"{c.on_roll}",
         "basis": f"另有免学 {c.exempt} 人" if c.exempt else "无免学党员"},
        {"name": "参学率", "value": percent(figures.participation),
         "basis": f"参学 {c.participants} / 应学 {c.on_roll}"},
        {"name": "学时达标率", "value": percent(figures.attainment), "basis": attained},
        {"name": "人均学时", "value": "—" if hpm is None else format_hours(hpm),
         "basis": f"学时合计 {format_hours(c.hours)} / 应学 {c.on_roll}"},
        {"name": "参考率", "value": percent(figures.test_rate),
         "basis": f"交卷 {c.submitted} / 应参考 {c.eligible} 人次"},
        {"name": "合格率", "value": percent(figures.pass_rate),
         "basis": f"合格 {c.passed} / 交卷 {c.submitted} 人次"},
    ]


@bp.get("/")
@admin_required
def dashboard() -> Any:
    today = local_today()
    org, period = resolve(today)
    result = report(db.session, org, period.key, today=today)
    # What the org's own members add beyond its children (a township's own staff).
    own = result.figures.counts - sum((f.counts for _, f in result.children), Counts())
    members = None if result.children else member_list(db.session, org, period.key)
    sources: list[str] = []
    if members is not None:
        seen = {s for line in members.on_roll + members.exempt for s in line.by_source}
        sources = [s for s in SOURCE_TYPES if s in seen] + sorted(seen - SOURCE_TYPES.keys())
    running = period.end > result.as_of
    below: list[Any] | None = None
    below_total = 0
    if result.figures.counts.on_roll <= REMINDER_MAX_ROLL:
        below, below_total = reminders(db.session, org, period.key, REMINDER_LIMIT, today=today)
    on_track = result.figures.counts.on_roll - below_total if running and below is not None \
        else None
    choices = period_choices(today)
    listed = {p.key for _, group in choices for p in group}
    return render_template(
        "reports/dashboard.html", org=org, period=period, result=result,
        tiles=tiles(result.figures, on_track), trail=trail_of(org), own=None if own.is_zero() else
        Figures(own), members=members, sources=sources, source_labels=SOURCE_TYPES,
        below=below, below_total=below_total, limit=REMINDER_LIMIT, choices=choices,
        custom="" if period.key in listed else period.key, definitions=DEFINITIONS,
        percent=percent, running=running, reminder_max=REMINDER_MAX_ROLL)


# -- downloads -----------------------------------------------------------------------------

def attachment(name: str, fallback: str) -> str:
    """Content-Disposition with a UTF-8 name (RFC 5987) and an ASCII one for old clients."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", fallback)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _download(body: bytes, mimetype: str, org: Organization, period: Period, ext: str
              ) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = attachment(
        f"参学统计_{org.name}_{period.label}.{ext}", f"participation_{org.code}_{period.key}.{ext}")
    response.headers["Cache-Control"] = "private, no-store"  # names of members: not cached
    return response


@bp.get("/export.<fmt>")
@admin_required
def export(fmt: str) -> Response:
    if fmt not in ("xlsx", "csv"):
        abort(404)
    today = local_today()
    org, period = resolve(today)  # scope and period first: a 404 needs no exporter
    data = export_data(db.session, org, period.key, today=today)
    if fmt == "xlsx":
        body = render_xlsx(data)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        text = render_csv(data)
        # Excel reads a CSV as UTF-8 only with the byte order mark.
        body = (text if text.startswith("\ufeff") else "\ufeff" + text).encode("utf-8")
        mimetype = "text/csv; charset=utf-8"
    # Who took which organizations' figures (and members' names) out of the system.
    record(db.session, "export", target_label=f"参学统计：{org.name}（{org.code}）",
           org_id=org.id,
           after={"what": "参学统计", "range": f"{org.name}（{org.code}）及其下级组织",
                  "period": f"{period.label}（{period.key}）", "format": fmt,
                  "rows": sum(len(level.rows) for level in data.levels)})
    db.session.commit()
    return _download(body, mimetype, org, period, fmt)
