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
from learning_app.audit.service import record
from learning_app.auth.access import (
    admin_required,
    manageable_member_or_404,
    member_or_404,
    members_in_scope,
    org_or_404,
)
from learning_app.auth.activation import reset_and_issue
from learning_app.auth.activation_views import notices_response
from learning_app.credits.ledger import award
from learning_app.credits.sources import source_key, source_ref
from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.ids import parse_id
from learning_app.models import Article, CreditEntry, Member, Membership, Organization
from learning_app.models.ledger import SOURCE_TYPES
from learning_app.models.members import CATEGORIES, STATUSES
from learning_app.models.types import local_today, utcnow

bp = Blueprint("admin_members", __name__, url_prefix="/app/admin/members")
PAGE_SIZE = 50


@bp.get("/")
@admin_required
def index() -> Any:
    org_id = request.args.get("org", type=parse_id)
    org = org_or_404(org_id) if org_id else None
    query = members_in_scope(org)
    q = (request.args.get("q") or "").strip()
    if q:
        like = f"%{q}%"
        query = query.where(or_(Member.name.like(like), Member.code == q, Member.phone == q))
    status = request.args.get("status", "active")
    if status in STATUSES:
        query = query.where(Member.status == status)
    page = min(max(1, request.args.get("page", 1, type=int)), 100_000)
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
    # A reading row shows the article's title, never its source key.
    read = {source_ref(e.source_key) for e in entries if e.source_type == "reading"}
    titles = {source_key("reading", id_): title for id_, title in db.session.execute(
        select(Article.id, Article.title).where(Article.id.in_(read)))} if read else {}
    return render_template("admin/member.html", member=member, memberships=memberships,
                           entries=entries, categories=CATEGORIES, today=local_today(),
                           source_labels=SOURCE_TYPES, titles=titles)


def _date(field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(request.form.get(field, ""))
    except ValueError:
        raise Refused(400, "日期应写成“年-月-日”，例如 2026-12-01") from None


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
    reason = (request.form.get("reason") or "").strip()[:100]
    before = {"exempt": member.exempt, "exempt_reason": member.exempt_reason}
    member.exempt = bool(reason)
    member.exempt_reason = reason or None
    after = {"exempt": member.exempt, "exempt_reason": member.exempt_reason}
    if after != before:
        record(db.session, "exemption", target=member, before=before, after=after)
    db.session.commit()
    flash("已更新免学情况", "success")
    return redirect(url_for(".show", member_id=member.id))


@bp.post("/<int:member_id>/reset-password")
@admin_required
def do_reset_password(member_id: int) -> Any:
    """The old password stops working and the member's sessions end; a one-time
    code on a printed notice lets the member set a new one (shown this once)."""
    member = manageable_member_or_404(member_id)
    if member.password_hash is not None and request.form.get("confirm") != "1":
        # One tap must not end someone's password: the form asks to confirm first.
        raise Refused(400, "请先勾选“我已核实是本人要求重置”，再重置密码")
    notice = reset_and_issue(db.session, member, by=current_user._get_current_object(),
                             now=utcnow())
    return notices_response([notice], title=f"{notice.name} 开通通知单（重置密码）", reset=True,
                            back=url_for(".show", member_id=member.id))


@bp.post("/<int:member_id>/correction")
@admin_required
def do_correction(member_id: int) -> Any:
    """A correction is a new ledger row (negative or positive), never an edit."""
    member = manageable_member_or_404(member_id)
    note = (request.form.get("note") or "").strip()
    try:
        hours = Decimal(request.form.get("hours", "")).quantize(Decimal("0.01"))
    except InvalidOperation:  # Infinity and huge exponents
        hours = Decimal(0)
    if not hours.is_finite():  # NaN can't be compared
        hours = Decimal(0)
    if not note or hours == 0 or abs(hours) > 100 or member.org_id is None:
        flash("请填写更正学时（非零，不超过100）和原因", "error")
        return redirect(url_for(".show", member_id=member.id))
    award(db.session, member_id=member.id, org_id=member.org_id, source_type="correction",
          source_key=source_key("correction", uuid.uuid4().hex), hours=hours,
          recorded_by=current_user.id, note=note[:200])
    record(db.session, "correction", target=member,
           after={"hours": f"{hours:+.2f}", "note": note[:200]})
    db.session.commit()
    flash("已记录更正", "success")
    return redirect(url_for(".show", member_id=member.id))
