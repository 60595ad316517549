"""Placeholder until the demo loader lands."""

import click


@click.command("load-demo")
def load_demo_command() -> None:
    raise click.ClickException("load-demo is not built yet")
