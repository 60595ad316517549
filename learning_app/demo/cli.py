"""``flask --app learning_app load-demo``: the demo county for `make run`, loaded once."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Blueprint, current_app

from learning_app.cli import add_commands
from learning_app.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from learning_app.demo.loader import AlreadyLoaded, DemoError, load_demo
from learning_app.extensions import db
from learning_app.newsroom.jobs import jobs_for


@click.command("load-demo")
def load_demo_command() -> None:
    """Load the demo county 青川县 with members and history (once; later runs do nothing)."""
    started = time.perf_counter()
    try:
        result = load_demo(db.session, content_dir=Path(current_app.config["CONTENT_DIR"]))
    except AlreadyLoaded as exc:
        click.echo(str(exc))  # not an error: `make run` calls this every time
        return
    except DemoError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"已加载演示数据（{time.perf_counter() - started:.1f}秒）：{result.townships}个乡镇党委、"
        f"{result.villages}个村党支部、{result.communities}个社区党组织、"
        f"{result.departments}个县直部门党组织；党员{result.members}名（免于学时要求"
        f"{result.exempt}名），组织关系转接{result.transfers}次；阅读记录{result.readings}条，"
        f"培训{result.trainings}场、参训{result.attendances}人次，"
        f"2026年下半年测试已交卷{result.exam_attempts}人、合格{result.exam_passed}人，学时台账共"
        f"{result.ledger_rows}条。")
    if result.scheduled_on is not None:
        # Its go-live build, as 终审签发 would have scheduled it (the runner runs it).
        jobs_for(current_app._get_current_object()).schedule_go_live(  # type: ignore[attr-defined]
            result.scheduled_on)
        click.echo(f"在线采编：一篇稿件等待初审，一篇定于{result.scheduled_on:%m月%d日}上线。")
    codes = " / ".join(account.code for account in DEMO_ACCOUNTS)
    click.echo(f"演示账号：{codes}，密码均为 {DEMO_PASSWORD}")


# The demo has no pages: its blueprint only carries the command.
bp = Blueprint("demo", __name__, cli_group=None)
add_commands(bp, load_demo_command)
