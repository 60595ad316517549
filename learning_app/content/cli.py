"""``flask --app learning_app sync-content``: the site's articles into the app."""

from __future__ import annotations

from pathlib import Path

import click

from learning_app.content.sync import ManifestError, read_manifest, sync
from learning_app.extensions import db


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
