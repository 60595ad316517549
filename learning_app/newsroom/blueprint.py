"""The newsroom's blueprint object, alone so that each page module can add its
routes to it without importing ``views`` (which imports them)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("newsroom", __name__, url_prefix="/app/newsroom", cli_group=None)
