"""Response headers for the app's own pages and API (everything under /app/ and /api/).

The site at / (served by ``content/site.py`` under ``make run``, by nginx in
production) is MkDocs Material output with its own inline scripts; its policy
is a separate piece of work and it gets none of these headers here.

The policy allows nothing inline: the templates carry no ``<script>`` body,
no ``on*=`` handler and no ``style=`` attribute (tests/app/test_security_headers.py
scans them), and reports.js builds the chart tooltips as DOM nodes, so that
ECharts never inserts HTML with inline styles. ECharts and exam.js set styles
through the CSSOM (``el.style.x = …``), which a CSP does not restrict.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])

APP_PREFIXES = ("/app/", "/api/")
STATIC_PREFIX = "/app/static/"
HSTS = "max-age=31536000"


def is_app_path(path: str) -> bool:
    return path == "/app" or path.startswith(APP_PREFIXES)


def add_security_headers(response: Response) -> Response:
    path = request.path
    if not is_app_path(path):
        return response
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if not path.startswith(STATIC_PREFIX) and "no-store" not in headers.get("Cache-Control", ""):
        # Pages and API answers show personal data: not kept by the browser or a proxy.
        headers["Cache-Control"] = "no-store"
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
