"""``flask backup --to DIR`` and ``flask restore --from FILE [--into URL] [--yes]``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Blueprint, current_app
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from learning_app.audit.service import record
from learning_app.cli import add_commands
from learning_app.extensions import db
from learning_app.ops.backup import BackupError, backup, has_data, restore, shown


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


@click.command("backup")
@click.option("--to", "to_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="备份目录（不存在则创建，仅属主可读写）")
def backup_command(to_dir: Path) -> None:
    """Back up the app's database into DIR, as a checked, timestamped file (0600)."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        made = backup(url, to_dir)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"已备份到 {made.path}（{_size(made.size)}，用时{made.seconds:.1f}秒，已校验）")
    try:
        record(db.session, "backup", detail=f"{made.path}（{made.size}字节）")
        db.session.commit()
    except SQLAlchemyError as error:  # read-only or full: the backup stands, say so
        db.session.rollback()
        raise click.ClickException(f"备份已完成，但审计日志未能记录（{type(error).__name__}）："
                                   "请检查数据库是否只读或磁盘已满。") from None


@click.command("restore")
@click.option("--from", "source", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="由 flask backup 做的备份文件")
@click.option("--into", "target", envvar="RESTORE_INTO", default=None,
              help="恢复到另一个数据库（试恢复用）；默认恢复到本系统的数据库。"
                   "含密码的地址请用环境变量 RESTORE_INTO 传入")
@click.option("--yes", is_flag=True, help="确认覆盖现有数据库")
def restore_command(source: Path, target: str | None, yes: bool) -> None:
    """Restore a backup (checked first) over the app's database, or into --into.

    Stop the app first. The database replaced is kept: portal.db.before-restore-<time>
    for SQLite, a dump next to the backup for PostgreSQL."""
    url = target or current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        if has_data(url) and not yes:
            raise click.ClickException(f"{shown(url)} 已有数据，恢复将覆盖它。"
                                       "确认无误（并已停止应用）后加 --yes 重新运行。")
        db.session.remove()
        db.engine.dispose()  # no pooled connection survives into the restored database
        done = restore(source, url)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    # The event goes into the restored database: the log it now holds says so.
    engine = create_engine(url, poolclass=NullPool)
    try:
        with Session(engine) as session:
            record(session, "restore", detail=f"从 {source} 恢复到 {done.target}"
                   + (f"；原数据库另存为 {done.previous}" if done.previous else ""))
            session.commit()
    except SQLAlchemyError as error:  # a backup from before the audit log's migration
        click.echo(f"注意：恢复记录未能写入审计日志（{type(error).__name__}），"
                   "请先运行 db upgrade。", err=True)
    finally:
        engine.dispose()
    click.echo(f"已从 {source} 恢复到 {done.target}（用时{done.seconds:.1f}秒，已校验）")
    if done.previous:
        click.echo(f"恢复前的数据库另存为 {done.previous}")
    click.echo("如备份来自旧版本，请再运行 flask --app learning_app db upgrade。")


# Operations have no pages: the blueprint only carries the commands.
bp = Blueprint("ops", __name__, cli_group=None)
add_commands(bp, backup_command, restore_command)
