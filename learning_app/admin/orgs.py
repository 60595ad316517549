"""Browse the organization tree within one's subtree."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from sqlalchemy import func, select

from learning_app.auth.access import admin_required, org_or_404, scope_root
from learning_app.extensions import db
from learning_app.models import Member, Organization
from learning_app.models.orgs import subtree_ids

bp = Blueprint("admin_orgs", __name__, url_prefix="/app/admin/orgs")


@bp.get("/")
@admin_required
def index() -> Any:
    return show(scope_root().id)


@bp.get("/<int:org_id>")
@admin_required
def show(org_id: int) -> Any:
    org = org_or_404(org_id)
    children = list(db.session.scalars(select(Organization).where(
        Organization.parent_id == org.id).order_by(Organization.sort_order, Organization.code)))
    counts = {child.id: db.session.scalar(select(func.count(Member.id)).where(
        Member.org_id.in_(subtree_ids(child)), Member.status == "active"))
        for child in children}
    total = db.session.scalar(select(func.count(Member.id)).where(
        Member.org_id.in_(subtree_ids(org)), Member.status == "active"))
    trail = []
    node: Organization | None = org
    root = scope_root()
    while node is not None and root.contains(node):
        trail.insert(0, node)
        node = node.parent
    return render_template("admin/org.html", org=org, children=children, counts=counts,
                           total=total, trail=trail)
