"""Who may enter the newsroom: editors (宣传编辑 and the county admin) and anyone
the county has put on a review level (a township admin who also reviews, say).

Every finer decision (may this person approve at this level, edit this draft,
withdraw this article) is ``rules``' and is made by the service; these
decorators only keep everyone else out, before any article is looked up.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g
from flask_login import current_user, login_required

from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.newsroom.rules import Actor
from learning_app.newsroom.service import actor_of

F = TypeVar("F", bound=Callable[..., Any])


def current_actor() -> Actor:
    """The signed-in member as the workflow rules see them (once per request)."""
    actor = g.get("newsroom_actor")
    if actor is None:
        actor = g.newsroom_actor = actor_of(db.session, current_user._get_current_object())
    return actor


def may_enter() -> bool:
    if not current_user.is_authenticated or not current_user.is_active:
        return False
    actor = current_actor()
    return actor.editor or bool(actor.levels)


def newsroom_required(view: F) -> F:
    """Editors and reviewers."""
    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not may_enter():
            raise Refused(403, "在线采编供宣传编辑和县里指定的审核人使用。"
                               "如需使用，请联系县委组织部。")
        return view(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


def newsroom_editor_required(view: F) -> F:
    """Writing and uploading: the editor roles only."""
    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not (current_user.is_active and current_user.is_editor):
            raise Refused(403, "写稿和上传只对宣传编辑开放；审核人可以在稿件页审核或直接修改正文。")
        return view(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


def newsroom_admin_required(view: F) -> F:
    """The newsroom's setup (levels, 错敏词, thresholds): ``Role.newsroom_admin``."""
    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not (current_user.is_active and current_user.role_def.newsroom_admin):
            raise Refused(403, "采编设置由县委组织部管理员负责。")
        return view(*args, **kwargs)
    return wrapper  # type: ignore[return-value]
