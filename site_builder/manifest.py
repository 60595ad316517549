"""The learning manifest the app imports (DESIGN.md, contract 2)."""

from __future__ import annotations

import datetime as dt
import json
import os
from zoneinfo import ZoneInfo

from site_builder.articles import Article

MANIFEST_VERSION = 1
TZ = ZoneInfo("Asia/Shanghai")


def build_time() -> dt.datetime:
    """Now in Beijing time, or SOURCE_DATE_EPOCH for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), TZ)
    return dt.datetime.now(TZ).replace(microsecond=0)


def manifest_entry(article: Article) -> dict[str, object]:
    return {
        "id": article.id,
        "title": article.title,
        "url": "/" + article.url.lstrip("/"),
        "section": article.section,
        "issue": article.issue,
        "category": article.category,
        "published": article.date.isoformat(),
        "chars": article.stats.chars,
        "required_seconds": article.stats.required_seconds,
        "credit_hours": article.credit_hours,
    }


def build_manifest(published: list[Article], generated_at: dt.datetime) -> dict[str, object]:
    ordered = sorted(published, key=lambda a: (a.date, a.id))
    return {
        "version": MANIFEST_VERSION,
        "generated_at": generated_at.isoformat(),
        "articles": [manifest_entry(a) for a in ordered],
    }


def dump(manifest: dict[str, object]) -> str:
    return json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"
