"""Serve the built MkDocs site at / (one origin with the app on one machine).

In production nginx serves site/ itself and only proxies /app/ and /api/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, redirect, send_from_directory

bp = Blueprint("site", __name__)


@bp.get("/", defaults={"path": ""})
@bp.get("/<path:path>")
def page(path: str) -> Any:
    if path.startswith(("app/", "api/")):
        abort(404)
    root = Path(current_app.config["SITE_DIR"])
    target = (root / path).resolve()
    if not target.is_relative_to(root.resolve()):
        abort(404)
    if target.is_dir():
        if path and not path.endswith("/"):
            return redirect("/" + path + "/", code=301)
        path = (path + "index.html") if path else "index.html"
    if not (root / path).is_file():
        not_found = root / "404.html"
        if not_found.is_file():
            return send_from_directory(root, "404.html"), 404
        abort(404)
    return send_from_directory(root, path, max_age=300)
