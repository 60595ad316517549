"""Members within the admin's subtree: list, detail, transfer, exemptions."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from learning_app.admin.memberships import leave_roll, transfer
from learning_app.auth.access import (
    admin_required,
    manageable_member_or_404,
    member_or_404,
    members_in_scope,
    org_or_404,
)
from learning_app.credits.ledger import award
from learning_app.credits.sources import source_key
from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.models import CreditEntry, Member, Membership, Organization
from learning_app.models.members import CATEGORIES, STATUSES
from learning_app.models.types import local_today

bp = Blueprint("admin_members", __name__, url_prefix="/app/admin/members")
PAGE_SIZE = 50


@bp.get("/")
@admin_required
def index() -> Any:
    org_id = request.args.get("org", type=int)
    org = org_or_404(org_id) if org_id else None
    query = members_in_scope(org)
    q = (request.args.get("q") or "").strip()
    if q:
        like = f"%{q}%"
        query = query.where(or_(Member.name.like(like), Member.code == q, Member.phone == q))
    status = request.args.get("status", "active")
    if status in STATUSES:
        query = query.where(Member.status == status)
    page = max(1, request.args.get("page", 1, type=int))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    members = list(db.session.scalars(query.order_by(Member.code)
                                      .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    return render_template("admin/members.html", members=members, org=org, q=q, page=page,
                           total=total, pages=max(1, -(-total // PAGE_SIZE)), status=status,
                           statuses=STATUSES)


@bp.get("/<int:member_id>")
@admin_required
def show(member_id: int) -> Any:
    member = member_or_404(member_id)
    memberships = list(db.session.scalars(select(Membership).where(
        Membership.member_id == member.id).order_by(Membership.started_on)))
    entries = list(db.session.scalars(select(CreditEntry).where(
        CreditEntry.member_id == member.id).order_by(CreditEntry.earned_at.desc()).limit(200)))
    return render_template("admin/member.html", member=member, memberships=memberships,
                           entries=entries, categories=CATEGORIES, today=local_today())


def _date(field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(request.form.get(field, ""))
    except ValueError:
        raise Refused(400, "日期格式应为 YYYY-MM-DD，例如 2026-12-01") from None


@bp.post("/<int:member_id>/transfer")
@admin_required
def do_transfer(member_id: int) -> Any:
    member = manageable_member_or_404(member_id)
    target = db.session.scalar(select(Organization).where(
        Organization.code == (request.form.get("org_code") or "").strip()))
    if target is None:
        raise Refused(400, "没有这个组织编码")
    org_or_404(target.id)  # the destination must be in the admin's subtree too
    transfer(db.session, member, target, _date("on"), request.form.get("note") or None)
    db.session.commit()
    flash(f"已转接到{target.name}", "success")
    return redirect(url_for(".show", member_id=member.id))


@bp.post("/<int:member_id>/leave")
@admin_required
def do_leave(member_id: int) -> Any:
    member = manageable_member_or_404(member_id)
    leave_roll(db.session, member, request.form.get("status", ""), _date("on"))
    db.session.commit()
    flash(f"已标记为{member.status_label}", "success")
    return redirect(url_for(".show", member_id=member.id))


@bp.post("/<int:member_id>/exempt")
@admin_required
def do_exempt(member_id: int) -> Any:
    member = manageable_member_or_404(member_id)
    reason = (request.form.get("reason") or "").strip()
    member.exempt = bool(reason)
    member.exempt_reason = reason or None
    db.session.commit()
    flash("已更新免学情况", "success")
    return redirect(url_for(".show", member_id=member.id))


@bp.post("/<int:member_id>/reset-password")
@admin_required
def do_reset_password(member_id: int) -> Any:
    member = manageable_member_or_404(member_id)
    member.password_hash = None
    member.must_change_password = True
    member.auth_version += 1
    db.session.commit()
    flash("已重置为初始密码（手机号后六位），党员登录后须修改", "success")
    return redirect(url_for(".show", member_id=member.id))


@bp.post("/<int:member_id>/correction")
@admin_required
def do_correction(member_id: int) -> Any:
    """A correction is a new ledger row (negative or positive), never an edit."""
    member = manageable_member_or_404(member_id)
    note = (request.form.get("note") or "").strip()
    try:
        hours = Decimal(request.form.get("hours", ""))
    except InvalidOperation:
        hours = Decimal(0)
    if not note or hours == 0 or abs(hours) > 100 or member.org_id is None:
        flash("请填写更正学时（非零，不超过100）和原因", "error")
        return redirect(url_for(".show", member_id=member.id))
    award(db.session, member_id=member.id, org_id=member.org_id, source_type="correction",
          source_key=source_key("correction", uuid.uuid4().hex), hours=hours,
          recorded_by=current_user.id, note=note[:200])
    db.session.commit()
    flash("已记录更正", "success")
    return redirect(url_for(".show", member_id=member.id))
