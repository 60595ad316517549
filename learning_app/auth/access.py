"""Who may see what: roles, and an admin's organization subtree."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.sql import Select

from learning_app.auth.roles import ADMIN_ROLES, EDITOR_ROLES, manage_refusal
from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.models import Member, Organization
from learning_app.models.orgs import subtree_ids

F = TypeVar("F", bound=Callable[..., Any])


def roles_required(*roles: str) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return decorate


admin_required = roles_required(*ADMIN_ROLES)
editor_required = roles_required(*EDITOR_ROLES)


def scope_root() -> Organization:
    """The top of the current admin's subtree; a county admin's is the root."""
    org = current_user.scope_org
    if org is None and current_user.role_def.whole_county:
        org = db.session.scalar(select(Organization).where(Organization.parent_id.is_(None))
                                .order_by(Organization.id).limit(1))
    if org is None:
        abort(403)
    return org


def in_scope(org: Organization | None) -> bool:
    return org is not None and scope_root().contains(org)


def org_or_404(org_id: int) -> Organization:
    """An organization inside the admin's subtree; outside it does not exist."""
    org = db.session.get(Organization, org_id)
    if org is None or not in_scope(org):
        abort(404)
    return org


def member_or_404(member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or member.org is None or not in_scope(member.org):
        abort(404)
    return member


def manageable_member_or_404(member_id: int) -> Member:
    """A member inside the admin's subtree whom the admin may act on
    (``roles.manage_refusal``); ``Refused(403)`` otherwise."""
    member = member_or_404(member_id)
    refusal = manage_refusal(current_user.id, current_user.role, member.id, member.role)
    if refusal is not None:
        raise Refused(403, refusal)
    return member


def members_in_scope(root: Organization | None = None) -> Select[tuple[Member]]:
    return select(Member).where(Member.org_id.in_(subtree_ids(root or scope_root())))
