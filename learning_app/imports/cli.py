"""``flask --app learning_app import-orgs FILE`` and ``import-members FILE``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app

from learning_app.errors import SheetRejected
from learning_app.extensions import db
from learning_app.imports.limits import FileLimits
from learning_app.imports.problems import ImportResult
from learning_app.imports.readers import read_path
from learning_app.imports.service import columns_of, import_table, record_refusal

PROGRESS_MIN_ROWS = 2000  # below this the import is over before a bar would say anything


def run(kind: str, path: Path) -> ImportResult:
    """Read, check and import one file from the command line (no scope limits)."""
    click.echo(f"读取 {path} …", err=True)
    # The same limits as the web page, without its time budget (no worker timeout here).
    limits = FileLimits.from_config(current_app.config, seconds=None)
    try:
        table = read_path(path, limits=limits, keep=columns_of(kind))
        if len(table.rows) < PROGRESS_MIN_ROWS:
            return import_table(db.session, kind, table, source=path.name)
        # On stderr, so stdout carries only the result; without a tty click
        # prints the label once instead of redrawing the bar.
        with click.progressbar(length=2 * len(table.rows), label="检查并写入",
                               file=sys.stderr) as bar:
            return import_table(db.session, kind, table, progress=bar.update,
                                source=path.name)
    except SheetRejected as exc:
        record_refusal(db.session, kind, path.name, exc.problems)
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"导入被拒绝：共 {len(exc.problems)} 个问题，没有写入任何数据") from None


@click.command("import-orgs")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_orgs_command(file: Path) -> None:
    """Import organizations (组织) from an XLSX or CSV file, all or nothing."""
    click.echo(run("orgs", file).summary())


@click.command("import-members")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_members_command(file: Path) -> None:
    """Import party members (党员) from an XLSX or CSV file, all or nothing."""
    click.echo(run("members", file).summary())
