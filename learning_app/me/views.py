"""我的学习 page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from learning_app.extensions import db
from learning_app.me.summary import summary
from learning_app.models.ledger import SOURCE_TYPES
from learning_app.models.types import local_today

bp = Blueprint("me", __name__, url_prefix="/app")


@bp.get("/")
@login_required
def home() -> Any:
    year = local_today().year
    return render_template("me.html", s=summary(db.session, current_user, year),
                           sources=SOURCE_TYPES)
