"""Import site/learning-manifest.json (contract 2): upsert articles by id."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from learning_app.models import Article
from learning_app.models.types import utcnow

FIELDS = ("id", "title", "url", "section", "issue", "category", "published", "chars",
          "required_seconds", "credit_hours")


class ManifestError(ValueError):
    pass


@dataclass(frozen=True)
class SyncResult:
    added: int
    updated: int
    unchanged: int
    withdrawn: int


def read_manifest(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{path}: not a readable JSON manifest ({exc})") from None
    if not isinstance(data, dict) or data.get("version") != 1:
        raise ManifestError(f"{path}: version: 1 expected")
    articles = data.get("articles")
    if not isinstance(articles, list):
        raise ManifestError(f"{path}: articles: a list expected")
    for index, entry in enumerate(articles):
        missing = [f for f in FIELDS if f not in entry]
        if missing:
            raise ManifestError(f"{path}: articles[{index}]: missing {', '.join(missing)}")
    return articles


def sync(session: Session, entries: list[dict[str, Any]]) -> SyncResult:
    """Upsert every article; those gone from the site are withdrawn, not deleted.

    Their earned credits stay in the ledger either way.
    """
    existing = {a.id: a for a in session.scalars(select(Article))}
    added = updated = unchanged = 0
    now = utcnow()
    for entry in entries:
        values = {
            "title": entry["title"], "url": entry["url"], "section": entry["section"],
            "issue": entry["issue"], "category": entry["category"],
            "published": dt.date.fromisoformat(entry["published"]),
            "chars": int(entry["chars"]), "required_seconds": int(entry["required_seconds"]),
            "credit_hours": Decimal(str(entry["credit_hours"])), "in_manifest": True,
        }
        article = existing.get(entry["id"])
        if article is None:
            session.add(Article(id=entry["id"], synced_at=now, **values))
            added += 1
        elif any(getattr(article, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(article, key, value)
            article.synced_at = now
            updated += 1
        else:
            unchanged += 1
    current = {entry["id"] for entry in entries}
    gone = [aid for aid, a in existing.items() if aid not in current and a.in_manifest]
    if gone:
        session.execute(update(Article).where(Article.id.in_(gone)).values(in_manifest=False))
    session.commit()
    return SyncResult(added, updated, unchanged, len(gone))
