"""The newsroom's blueprint (在线采编, /app/newsroom/). For now it only carries the
commands: ``build-site`` and ``newsroom-runner``."""

from __future__ import annotations

from flask import Blueprint

from learning_app.cli import add_commands
from learning_app.newsroom.cli import build_site_command, newsroom_runner_command

bp = Blueprint("newsroom", __name__, url_prefix="/app/newsroom", cli_group=None)
add_commands(bp, build_site_command, newsroom_runner_command)
