"""``flask --app learning_app report …``: participation exports and the rollups' upkeep.

- ``report participation --org QC --period 2026-H2 -o 青川县.xlsx``: the export
  (``--format csv`` or a ``.csv`` name for CSV; ``-o -`` writes CSV to stdout);
- ``report build --period 2026-H2 [--period 2026 …]``: rebuild periods in full;
- ``report refresh``: apply the marked changes (cron, every minute).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.models import Organization, ReportMemberStats
from learning_app.reports.export import ExportData, export_data, render_csv, render_xlsx
from learning_app.reports.participation import Figures, Period, PeriodError, parse_period, percent
from learning_app.reports.rollup import build, refresh

report_group = click.Group("report", help="参学统计：导出报表，构建和刷新统计汇总。")


def _period(key: str) -> Period:
    try:
        return parse_period(key)
    except PeriodError as exc:
        raise click.ClickException(str(exc)) from None


def _org(code: str) -> Organization:
    org = db.session.scalar(select(Organization).where(Organization.code == code.strip()))
    if org is None:
        raise click.ClickException(f"没有组织代码 {code}")
    return org


def write_atomically(target: Path, content: bytes) -> None:
    """Write to a temporary file beside ``target``, then rename it over: a failure leaves
    the old file (or none), never half a report."""
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        mask = os.umask(0)  # mkstemp makes 0600; give the file the usual permissions
        os.umask(mask)
        os.chmod(temp_name, 0o666 & ~mask)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def summary(data: ExportData) -> str:
    current = data.report
    figures: Figures = current.figures
    hours = figures.hours_per_member
    return (f"{current.org.name}（{current.org.code}）{current.period.label}，"
            f"统计截至 {current.as_of:%Y-%m-%d}：应学人数 {figures.counts.on_roll}，"
            f"参学率 {percent(figures.participation)}，学时达标率 {percent(figures.attainment)}，"
            f"人均学时 {'—' if hours is None else hours}，参考率 {percent(figures.test_rate)}，"
            f"合格率 {percent(figures.pass_rate)}")


@report_group.command("participation")
@click.option("--org", "org_code", required=True, help="组织代码，如 QC")
@click.option("--period", "key", required=True,
              help="期间：2026-11（月）、2026-Q4（季度）、2026-H2（半年）或 2026（年度）")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default=None,
              help="文件格式；不填时按输出文件的扩展名，默认 xlsx")
@click.option("-o", "--output", default=None,
              help="输出文件；“-”表示把 CSV 写到标准输出；默认 <组织代码>-<期间>-参学统计.<格式>")
@with_appcontext
def participation_command(org_code: str, key: str, fmt: str | None,
                          output: str | None) -> None:
    """导出一个组织及其下两级组织在某期间的参学统计（XLSX 或 CSV）。"""
    period = _period(key)
    org = _org(org_code)
    if fmt is None:
        fmt = "csv" if output == "-" or (output or "").lower().endswith(".csv") else "xlsx"
    if output == "-" and fmt != "csv":
        raise click.ClickException("XLSX 不能写到标准输出，请用 -o 指定文件")
    target = Path(output or f"{org.code}-{period.key}-参学统计.{fmt}")
    if output != "-" and not target.parent.is_dir():
        raise click.ClickException(f"目录不存在：{target.parent}")
    data = export_data(db.session, org, period.key)
    if output == "-":
        click.echo(render_csv(data), nl=False)
        click.echo(summary(data), err=True)  # stderr: stdout is the CSV
        return
    content = render_xlsx(data) if fmt == "xlsx" else render_csv(data).encode("utf-8-sig")
    write_atomically(target, content)
    click.echo(f"{summary(data)}；已写入 {target}")


@report_group.command("build")
@click.option("--period", "keys", required=True, multiple=True,
              help="要重建的期间，可重复：--period 2026-H2 --period 2026")
@with_appcontext
def build_command(keys: tuple[str, ...]) -> None:
    """从学时台账、组织关系和答卷完整重建这些期间的统计汇总。"""
    periods = [_period(key) for key in keys]  # all checked before any is rebuilt
    started = time.perf_counter()
    for period in dict.fromkeys(periods):
        began = time.perf_counter()
        build(db.session, period.key)
        members = db.session.scalar(select(func.count()).select_from(ReportMemberStats).where(
            ReportMemberStats.period_key == period.key)) or 0
        click.echo(f"{period.key}（{period.label}）：已重建，在册党员 {members} 名，"
                   f"用时 {time.perf_counter() - began:.2f} 秒")
    if len(periods) > 1:
        click.echo(f"共 {len(dict.fromkeys(periods))} 个期间，用时 "
                   f"{time.perf_counter() - started:.2f} 秒")


@report_group.command("refresh")
@with_appcontext
def refresh_command() -> None:
    """把有变动的党员计入已构建的统计汇总（供计划任务每分钟运行）。"""
    started = time.perf_counter()
    count = refresh(db.session)
    click.echo(f"已刷新 {count} 名党员的统计，用时 {time.perf_counter() - started:.2f} 秒")
