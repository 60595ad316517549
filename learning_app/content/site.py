"""Serve the built MkDocs site at / (one origin with the app on one machine).

In production nginx serves site/ itself and only proxies /app/ and /api/; it
sends the same headers (README: the policy is in site/csp.txt).

The site's Content-Security-Policy is written by the build (site_builder/csp.py)
into ``site/csp.txt``: Material's inline scripts are allowed by hash, nothing
else inline, nothing from another host. Each page carries it as a ``<meta>``
too; only the header can forbid framing.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, request, send_from_directory

from learning_app.security_headers import HSTS, is_app_path

bp = Blueprint("site", __name__)

CSP_FILE = "csp.txt"
_ROOT_KEY = "dangjian.site_root"  # the request's build (site_root)
# A site built before the policy existed: no inline script at all (Material's
# theme scripts then fail, visibly, rather than anything running unchecked).
FALLBACK_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                "img-src 'self' data:; object-src 'none'; base-uri 'self'; "
                "form-action 'self'; frame-ancestors 'self'")


@lru_cache(maxsize=4)
def _read_policy(path: str, _mtime_ns: int) -> str | None:
    text = Path(path).read_text(encoding="utf-8").strip()
    # One line of directives; anything else is not a policy to send.
    return text if text and "\n" not in text and "\r" not in text else None


def site_policy(root: Path) -> str:
    """The site's policy from the build, re-read when a new build replaces it."""
    path = root / CSP_FILE
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return FALLBACK_CSP
    return _read_policy(str(path), mtime) or FALLBACK_CSP


def site_root() -> Path:
    """The build to serve this request from, resolved once: SITE_DIR is a symlink
    the newsroom switches (newsroom/builds.py), and a request must not start in
    one build and finish in the next. Before the first newsroom build, `make site`'s
    site/ (SITE_FALLBACK_DIR) when SITE_DIR was left unset."""
    root = request.environ.get(_ROOT_KEY)
    if root is None:
        configured = current_app.config["SITE_DIR"]
        fallback = current_app.config.get("SITE_FALLBACK_DIR")
        if fallback and not os.path.lexists(configured):
            configured = fallback
        root = request.environ[_ROOT_KEY] = Path(configured).resolve()
    return root  # type: ignore[no-any-return]


@bp.after_request
def site_headers(response: Response) -> Response:
    if is_app_path(request.path):
        return response  # a 404 under /app/ or /api/ gets the app's own headers
    headers = response.headers
    headers.setdefault("Content-Security-Policy", site_policy(site_root()))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


@bp.get("/", defaults={"path": ""})
@bp.get("/<path:path>")
def page(path: str) -> Any:
    if path.startswith(("app/", "api/")):
        abort(404)
    root = site_root()
    target = (root / path).resolve()
    if not target.is_relative_to(root):
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
