"""Record offline trainings and their attendance lists."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from learning_app.auth.access import (
    admin_required,
    in_scope,
    members_in_scope,
    org_or_404,
    scope_root,
)
from learning_app.extensions import db
from learning_app.ids import parse_id
from learning_app.models import Member, Organization, Training, TrainingAttendance
from learning_app.models.orgs import subtree_ids
from learning_app.models.training import TRAINING_KINDS
from learning_app.trainings.service import record_attendance, record_created

bp = Blueprint("admin_trainings", __name__, url_prefix="/app/admin/trainings")


def training_or_404(training_id: int) -> Training:
    training = db.session.get(Training, training_id)
    if training is None or not in_scope(training.org):
        abort(404)
    return training


@bp.get("/")
@admin_required
def index() -> Any:
    trainings = list(db.session.scalars(
        select(Training).where(Training.org_id.in_(subtree_ids(scope_root())))
        .order_by(Training.held_on.desc(), Training.id.desc()).limit(200)))
    return render_template("admin/trainings.html", trainings=trainings)


def _form_errors(form: Any) -> tuple[dict[str, Any], list[str]]:
    errors: list[str] = []
    values: dict[str, Any] = {}
    values["title"] = (form.get("title") or "").strip()
    if not values["title"]:
        errors.append("标题：必填")
    elif len(values["title"]) > 200:
        errors.append("标题：不超过200字")
    values["kind"] = form.get("kind")
    if values["kind"] not in TRAINING_KINDS:
        errors.append("类型：请选择集中轮训、党课、主题党日或专题培训")
    try:
        values["held_on"] = dt.date.fromisoformat(form.get("held_on", ""))
    except ValueError:
        errors.append("日期：应写成“年-月-日”，例如 2026-12-01")
    try:
        values["hours"] = Decimal(form.get("hours", ""))
        if not Decimal("0.5") <= values["hours"] <= Decimal(80):
            raise InvalidOperation
    except InvalidOperation:
        errors.append("学时：0.5 到 80 之间的数")
    values["organizer"] = (form.get("organizer") or "").strip()
    if not values["organizer"]:
        errors.append("主办单位：必填")
    elif len(values["organizer"]) > 100:
        errors.append("主办单位：不超过100字")
    return values, errors


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new() -> Any:
    root = scope_root()
    if request.method == "POST":
        values, errors = _form_errors(request.form)
        org = db.session.scalar(select(Organization).where(
            Organization.code == (request.form.get("org_code") or root.code).strip()))
        if org is None or not in_scope(org):
            errors.append("组织：编码不在您管理的范围内")
        if not errors:
            training = Training(org_id=org.id, created_by=current_user.id, **values)
            db.session.add(training)
            db.session.flush()
            record_created(db.session, training)
            db.session.commit()
            flash("培训已登记，请添加参训党员", "success")
            return redirect(url_for(".show", training_id=training.id))
        for error in errors:
            flash(error, "error")
    return render_template("admin/training_new.html", kinds=TRAINING_KINDS, root=root,
                           form=request.form)


@bp.get("/<int:training_id>")
@admin_required
def show(training_id: int) -> Any:
    training = training_or_404(training_id)
    attendees = list(db.session.scalars(
        select(Member).join(TrainingAttendance, TrainingAttendance.member_id == Member.id)
        .where(TrainingAttendance.training_id == training.id).order_by(Member.code)))
    pick_org_id = request.args.get("org", type=parse_id)
    pick_org = org_or_404(pick_org_id) if pick_org_id else training.org
    candidates = list(db.session.scalars(
        members_in_scope(pick_org).where(Member.status == "active")
        .order_by(Member.code).limit(500)))
    return render_template("admin/training.html", training=training, attendees=attendees,
                           candidates=candidates, pick_org=pick_org,
                           attending={m.id for m in attendees})


@bp.post("/<int:training_id>/attendees")
@admin_required
def add_attendees(training_id: int) -> Any:
    """Attendees by checkbox or a pasted list of member codes: all or nothing."""
    training = training_or_404(training_id)
    ids = {int(v) for v in request.form.getlist("member_id") if v.isdigit()}
    codes = [c for c in re.split(r"[\s,，;；]+", request.form.get("codes", "")) if c]
    scoped = members_in_scope()
    found = list(db.session.scalars(scoped.where(Member.id.in_(ids)))) if ids else []
    by_code = {m.code: m for m in db.session.scalars(scoped.where(Member.code.in_(codes)))}
    unknown = [c for c in codes if c not in by_code]
    if len(found) != len(ids) or unknown:
        flash("以下党员编号不存在或不在您管理的范围内，本次未登记任何人：" + "、".join(unknown),
              "error")
        return redirect(url_for(".show", training_id=training.id))
    members = {m.id: m for m in [*found, *by_code.values()]}
    added, already = record_attendance(db.session, training, members.values(), current_user.id)
    db.session.commit()
    flash(f"已登记{added}人，{already}人此前已登记", "success")
    return redirect(url_for(".show", training_id=training.id))
