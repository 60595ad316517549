"""``flask --app learning_app <command>``: content sync, imports, demo data, accounts."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from learning_app.auth.passwords import hash_password
from learning_app.content.sync import ManifestError, read_manifest, sync
from learning_app.extensions import db
from learning_app.models import Member, Organization
from learning_app.models.members import ROLES


@click.command("sync-content")
@click.argument("manifest", type=click.Path(path_type=Path), default="site/learning-manifest.json")
def sync_content_command(manifest: Path) -> None:
    """Upsert the site's articles from its learning manifest."""
    try:
        result = sync(db.session, read_manifest(manifest))
    except ManifestError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"articles: {result.added} added, {result.updated} updated, "
               f"{result.unchanged} unchanged, {result.withdrawn} withdrawn")


@click.command("set-account")
@click.argument("code")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice(list(ROLES)), default=None)
@click.option("--scope", "scope_code", default=None, help="organization code an admin manages")
def set_account_command(code: str, password: str, role: str | None,
                        scope_code: str | None) -> None:
    """Set a member's password (and role); e.g. the first county admin."""
    member = db.session.scalar(select(Member).where(Member.code == code))
    if member is None:
        raise click.ClickException(f"no member with code {code}")
    member.password_hash = hash_password(password)
    member.must_change_password = False
    member.auth_version += 1
    if role:
        member.role = role
    if scope_code:
        org = db.session.scalar(select(Organization).where(Organization.code == scope_code))
        if org is None:
            raise click.ClickException(f"no organization with code {scope_code}")
        member.scope_org_id = org.id
    db.session.commit()
    click.echo(f"{member.code} {member.name}: password set, role {member.role}")


def register_commands(app: Flask) -> None:
    from learning_app.demo.cli import load_demo_command
    from learning_app.imports.cli import import_members_command, import_orgs_command
    from learning_app.quiz.cli import (
        load_quizzes_command,
        regrade_command,
        sweep_attempts_command,
    )
    from learning_app.quiz.excel_cli import export_bank_command, import_bank_command
    from learning_app.reports.cli import report_group

    for command in (sync_content_command, set_account_command, import_orgs_command,
                    import_members_command, load_demo_command, load_quizzes_command,
                    import_bank_command, export_bank_command,
                    sweep_attempts_command, regrade_command):
        # The flask command pushes an app context; the test runner does not.
        if not getattr(command.callback, "_dj_appcontext", False):
            command.callback = with_appcontext(command.callback)
            command.callback._dj_appcontext = True  # type: ignore[attr-defined]
        app.cli.add_command(command)
    app.cli.add_command(report_group)  # its subcommands take the app context themselves
