"""``flask --app learning_app load-quizzes [DIR]``: validate, then write all or nothing."""

from __future__ import annotations

from pathlib import Path

import click

from learning_app.extensions import db
from learning_app.models.types import utcnow
from learning_app.quiz.attempts import finish_expired
from learning_app.quiz.loader import QuizError, load_quizzes
from learning_app.quiz.store import store


@click.command("load-quizzes")
@click.argument("directory", type=click.Path(path_type=Path), default="quizzes")
def load_quizzes_command(directory: Path) -> None:
    """Load question banks and tests from DIR (default quizzes/), all or nothing."""
    try:
        quizzes = load_quizzes(directory)
    except QuizError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"{len(exc.problems)} problem(s) in {directory}; nothing was written") from None
    click.echo(store(db.session, quizzes).summary())


@click.command("sweep-attempts")
def sweep_attempts_command() -> None:
    """Submit every open attempt whose deadline and grace have passed."""
    count = finish_expired(db.session, utcnow())
    click.echo(f"finished {count} expired attempt(s)")
