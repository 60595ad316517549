"""Placeholder until the import commands land (see the imports work item)."""

import click


@click.command("import-orgs")
@click.argument("file")
def import_orgs_command(file: str) -> None:
    raise click.ClickException("import-orgs is not built yet")


@click.command("import-members")
@click.argument("file")
def import_members_command(file: str) -> None:
    raise click.ClickException("import-members is not built yet")
