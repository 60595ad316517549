"""Activation codes on the web: the member's /app/activate page, and the admin's
per-organization 开通通知单 (choose members, issue, print).

The notice page is the answer to the POST that issued the codes: they are
stored hashed, so this response is the only place they are ever shown, and
it is never cached (no-store).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from learning_app.audit.service import client_address, record
from learning_app.auth import sessions
from learning_app.auth.access import admin_required, members_in_scope, org_or_404
from learning_app.auth.activation import (
    MAX_NOTICES,
    ActivationError,
    Notice,
    activate,
    activation_days,
    issue,
)
from learning_app.auth.activation_cli import issue_activation_command
from learning_app.auth.passwords import password_problem
from learning_app.auth.roles import manage_refusal
from learning_app.auth.throttle_rules import normalize_login
from learning_app.auth.views import READER_COOKIE
from learning_app.cli import add_commands
from learning_app.db import begin_write
from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.ids import parse_id
from learning_app.models import Member, Organization
from learning_app.models.types import utcnow

bp = Blueprint("activation", __name__, url_prefix="/app", cli_group=None)
add_commands(bp, issue_activation_command)
LIST_LIMIT = 1000  # rows on the choosing page; a larger subtree prints per branch


class ActivationForm(FlaskForm):
    login = StringField("党员编号或手机号", validators=[
        DataRequired("请输入党员编号或手机号"), Length(max=32)])
    code = StringField("开通码（10位数字）", validators=[
        DataRequired("请输入开通通知单上的开通码"), Length(max=40)])
    new = PasswordField("设置新密码（至少8位）", validators=[
        DataRequired("请设置新密码"), Length(max=128)])
    confirm = PasswordField("再次输入新密码", validators=[
        EqualTo("new", "两次输入的新密码不一致")])


@bp.route("/activate", methods=["GET", "POST"])
def activate_page() -> Any:
    form = ActivationForm()
    status, retry_after = 200, None
    if form.validate_on_submit():
        login = normalize_login(form.login.data)
        # Judged on what was typed only, so the hint can't tell whether the account exists.
        early = password_problem(form.new.data, phone=login if login.isdigit() else None,
                                 code=login)
        if early:
            form.new.errors = [early]
            status = 400
        else:
            try:
                member = activate(db.session, form.login.data, form.code.data, form.new.data,
                                  now=utcnow(), address=client_address())
            except ActivationError as error:
                getattr(form, error.field).errors = [error.message]
                status, retry_after = error.status, error.retry_after
            else:
                return _signed_in(member)
    elif request.method == "POST":
        status = 400
    form.code.data = ""  # never echo a code back (password fields never are)
    response = make_response(render_template("activate.html", form=form), status)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _signed_in(member: Member) -> Any:
    """Start a sign-in for the member who just chose a password, as the login
    view does (auth/sessions.py), without remember-me."""
    config = current_app.config
    now = utcnow()
    member_id = member.id
    begin_write(db.session)
    member = db.session.get_one(Member, member_id)
    sign_in = sessions.start(
        db.session, member, remember=False, now=now,
        duration=sessions.lifetime(remember=False,
                                   session_hours=float(config["LOGIN_SESSION_HOURS"]),
                                   remember_duration=config["REMEMBER_COOKIE_DURATION"]),
        address=client_address(), user_agent=request.user_agent.string)
    record(db.session, "sign_in", actor=member, target=member, detail="开通账号后登录")
    db.session.commit()
    member.sign_in_id = sign_in.id
    login_user(member, remember=False)
    flash(f"{member.name}，您的账号已开通。以后请用党员编号 {member.code} 或手机号和新密码登录。",
          "success")
    response = redirect(url_for("me.home"))
    response.set_cookie(READER_COOKIE, "1", max_age=30 * 24 * 3600, samesite="Lax",
                        secure=bool(config["SESSION_COOKIE_SECURE"]))
    return response


# ----------------------------------------------------------- admin: notices

def _scope_members(org: Organization) -> list[Member]:
    return list(db.session.scalars(members_in_scope(org).where(Member.status == "active")
                                   .order_by(Member.org_id, Member.code).limit(LIST_LIMIT + 1)))


def _refusal(member: Member) -> str | None:
    return manage_refusal(current_user.id, current_user.role, member.id, member.role)


@bp.get("/admin/orgs/<int:org_id>/activation")
@admin_required
def choose(org_id: int) -> Any:
    """Whom to print for: by default everyone in the subtree not yet activated."""
    org = org_or_404(org_id)
    members = _scope_members(org)
    truncated = len(members) > LIST_LIMIT
    members = members[:LIST_LIMIT]
    refusals = {m.id: _refusal(m) for m in members}
    pending = [m for m in members if m.password_hash is None and refusals[m.id] is None]
    return render_template("admin/activation_choose.html", org=org, members=members,
                           refusals=refusals, pending=pending, truncated=truncated,
                           max_notices=MAX_NOTICES, days=activation_days())


@bp.post("/admin/orgs/<int:org_id>/activation")
@admin_required
def issue_notices(org_id: int) -> Any:
    """Issue codes and answer with the printable notices (shown this once)."""
    org = org_or_404(org_id)
    in_scope = members_in_scope(org).where(Member.status == "active")
    if request.form.get("scope") == "without_password":
        candidates = list(db.session.scalars(in_scope.where(Member.password_hash.is_(None))
                                             .order_by(Member.org_id, Member.code)))
        # Accounts the admin may not manage are left out, not refused: they are
        # someone else's to hand out.
        chosen = [m for m in candidates if _refusal(m) is None]
    else:
        ids = {parse_id(raw) for raw in request.form.getlist("member")}
        ids.discard(None)
        if not ids:
            raise Refused(400, "请至少选择一名党员")
        if len(ids) > MAX_NOTICES:
            raise Refused(400, f"一次最多打印{MAX_NOTICES}份，请按支部分批打印")
        chosen = list(db.session.scalars(in_scope.where(Member.id.in_(ids))
                                         .order_by(Member.org_id, Member.code)))
        if len(chosen) != len(ids):
            raise Refused(404, "没有找到所选的党员")  # outside the subtree: as if absent
        for member in chosen:
            refusal = _refusal(member)
            if refusal is not None:
                raise Refused(403, f"{member.name}：{refusal}")
    if not chosen:
        raise Refused(400, "没有需要开通的党员")
    if len(chosen) > MAX_NOTICES:
        raise Refused(400, f"一次最多打印{MAX_NOTICES}份，请进入下级组织分别打印")
    notices = issue(db.session, chosen, by=current_user._get_current_object(), now=utcnow())
    return notices_response(notices, title=f"{org.name} 开通通知单",
                            back=url_for("admin_orgs.show", org_id=org.id))


def notices_response(notices: Sequence[Notice], *, title: str, reset: bool = False,
                     back: str | None = None) -> Any:
    """The printable 开通通知单; the codes on it are shown only in this response."""
    portal = request.host_url.rstrip("/") + url_for("activation.activate_page")
    # A QR code of the address (never of a code: that would land in browser history).
    qr = Markup(segno.make(portal, error="m").svg_inline(scale=3, dark="#000"))
    response = make_response(render_template(
        "admin/activation_notices.html", notices=notices, title=title, portal=portal,
        reset=reset, days=activation_days(), qr=qr,
        back=back or url_for("admin_orgs.index")))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
