"""``flask --app learning_app load-quizzes [DIR]``: validate, then write all or nothing."""

from __future__ import annotations

from pathlib import Path

import click

from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.models.types import utcnow
from learning_app.quiz.attempts import finish_expired
from learning_app.quiz.loader import QuizError, load_quizzes
from learning_app.quiz.regrade import choose_version, parse_answer, regrade
from learning_app.quiz.store import store
from site_builder import plan_facts
from site_builder.errors import ContentError


@click.command("load-quizzes")
@click.argument("directory", type=click.Path(path_type=Path), default="quizzes")
@click.option("--content", type=click.Path(path_type=Path), default="content",
              show_default=True, help="the site's content, holding the county plan")
def load_quizzes_command(directory: Path, content: Path) -> None:
    """Load question banks and tests from DIR (default quizzes/), all or nothing.

    Questions on the county plan are checked against it (policy/plan-text.md and
    policy/plan-facts.yaml in the content directory)."""
    try:
        plan = plan_facts.load(content)
    except ContentError as exc:
        raise click.ClickException(f"the county plan in {content} can't be read:\n"
                                   f"{exc.render()}") from None
    try:
        quizzes = load_quizzes(directory, plan)
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


@click.command("regrade")
@click.option("--test", "test_id", required=True, help="the test, e.g. 2026-H2")
@click.option("--question", "question_id", required=True, help="the question, e.g. cp-012")
@click.option("--void", is_flag=True, help="no option was right: full points to everyone")
@click.option("--also-correct", help="a second key in the old version's terms: B, A,C, "
                                     "true or 甲|乙")
@click.option("--version", "version_prefix", help="the pinned version's hash (a prefix); "
                                                   "default: the one no longer current")
@click.option("--reason", required=True, help="why, for the record")
@click.option("--by", required=True, help="who decided, for the record")
def regrade_command(test_id: str, question_id: str, void: bool, also_correct: str | None,
                    version_prefix: str | None, reason: str, by: str) -> None:
    """Re-score the graded attempts that drew a question's wrong version (never lowers)."""
    if void == (also_correct is not None):
        raise click.UsageError("give exactly one of --void or --also-correct")
    try:
        version = choose_version(db.session, test_id, question_id, version_prefix)
        rule = ({"void": True} if void else
                {"also_correct": parse_answer(version.data["type"], also_correct or "")})
        result = regrade(db.session, test_id=test_id, question_id=question_id, rule=rule,
                         reason=reason, by=by, now=utcnow(),
                         version_prefix=version.content_hash)
    except Refused as refused:
        raise click.ClickException(refused.message) from None
    click.echo(f"regrade {result.regrade_id}: {question_id} version {result.version_hash[:12]}"
               f" in {test_id}: {result.attempts} graded attempt(s), {result.raised} raised, "
               f"{result.newly_passed} newly passed")
