"""Command-line plumbing: each package registers its commands on its blueprint.

A blueprint made with ``cli_group=None`` puts its commands at the top level
(``flask --app learning_app load-quizzes``), so the command names stay short.
"""

from __future__ import annotations

import click
from flask import Blueprint
from flask.cli import with_appcontext


def add_commands(bp: Blueprint, *commands: click.Command) -> None:
    """Register ``commands`` on ``bp``; each runs inside the app context (the
    ``flask`` command pushes one, the test runner doesn't)."""
    for command in commands:
        if not isinstance(command, click.Group) and not getattr(
                command.callback, "_dj_appcontext", False):
            command.callback = with_appcontext(command.callback)
            command.callback._dj_appcontext = True  # type: ignore[attr-defined]
        bp.cli.add_command(command)
