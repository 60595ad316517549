"""Typed configuration of the ``site_builder`` plugin."""

from __future__ import annotations

import datetime as dt

from mkdocs.config import config_options as c
from mkdocs.config.base import Config


class SiteBuilderConfig(Config):
    # Build scheduled (future-dated) articles too, each with a 预览 banner.
    preview = c.Type(bool, default=False)
    # The publishing day as YYYY-MM-DD; empty means today in Asia/Shanghai.
    today = c.Type((str, dt.date), default="")
    # Registry of published ids, relative to docs_dir; committed with content.
    registry = c.Type(str, default=".article-ids")
    # Replace the navigation with sections and monthly issues only.
    navigation = c.Type(bool, default=True)
    tracker = c.Type(bool, default=True)
    feeds = c.Type(bool, default=True)
    booklets = c.Type(bool, default=True)
    cache_dir = c.Type(str, default=".cache/site_builder")
