"""``flask build-site`` and ``flask newsroom-runner``: the site build and the job runner.

``make run`` calls ``build-site`` (the same build, switch and sync as publishing from
the web, done before serving) and then starts ``newsroom-runner`` beside gunicorn.
"""

from __future__ import annotations

import logging

import click
from flask import current_app

from learning_app.extensions import db
from learning_app.models.newsroom import BUILD_STATES, SiteBuild
from learning_app.models.types import utcnow
from learning_app.newsroom import builds
from learning_app.newsroom.jobs import jobs_for


@click.command("build-site")
@click.option("--reason", default="管理员更新整个网站", help="记在构建记录里的原因")
def build_site_command(reason: str) -> None:
    """Build content/ into a new directory, switch the live site to it, sync the articles."""
    layout = builds.SiteLayout.from_config(current_app.config)
    build_id = builds.request_build(db.session, reason, now=utcnow())
    ran = builds.run_pending(db.session, layout)
    build = db.session.get(SiteBuild, build_id)
    if build is None or build_id not in ran:
        status = BUILD_STATES.get(build.status, build.status) if build else "未知"
        click.echo(f"另一个构建程序正在构建，这次构建已排队（{status}）。")
        return
    if build.status != "live":
        raise click.ClickException(build.error or "网站构建失败")
    click.echo(f"网站已上线：{layout.live} → {build.site_dir}")
    if build.error:
        click.echo(build.error, err=True)


@click.command("newsroom-runner")
def newsroom_runner_command() -> None:
    """Run the newsroom's job runner (Huey consumer: builds, scheduled go-lives)."""
    jobs = jobs_for(current_app._get_current_object())  # type: ignore[attr-defined]
    if jobs.huey.immediate:
        raise click.ClickException("HUEY_IMMEDIATE=1：任务在调用处直接执行，不需要运行器")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    jobs.build()  # a build queued while no runner ran
    click.echo("在线采编运行器已启动（网站构建、定时上线）。")
    # Huey's idle worker backs off to 10 s between polls of a SQLite queue, so a
    # publish waited 0-10 s before its build began (bench/publish.py). One indexed
    # SELECT a second is cheap; Redis storage blocks on the queue anyway.
    jobs.huey.create_consumer(workers=1, periodic=True, max_delay=1.0).run()
