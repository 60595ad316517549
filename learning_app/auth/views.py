"""Sign-in by member code or phone; throttled per account and per address."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import or_, select

from learning_app.auth.cli import set_account_command
from learning_app.auth.forms import LoginForm, PasswordForm
from learning_app.auth.passwords import hash_password, password_problem, verify
from learning_app.cli import add_commands
from learning_app.extensions import db, limiter, login_manager
from learning_app.models import Member

bp = Blueprint("auth", __name__, url_prefix="/app", cli_group=None)
add_commands(bp, set_account_command)
READER_COOKIE = "dj_reader"  # tells the site's tracker script that the app is there


@login_manager.user_loader
def load_member(user_id: str) -> Member | None:
    member_id, _, version = user_id.partition(":")
    if not member_id.isdigit():
        return None
    member = db.session.get(Member, int(member_id))
    if member is None or str(member.auth_version) != version or not member.is_active:
        return None
    return member


def _account_key() -> str:
    return "account:" + (request.form.get("login") or "").strip().lower()


def _failed(response: Any) -> bool:
    return response.status_code != 302  # only failed attempts count


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(
            target).netloc:
        return target
    return url_for("me.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"],
               deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"],
               key_func=_account_key, deduct_when=_failed)
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        identity = form.login.data.strip()
        member = db.session.scalar(select(Member).where(
            or_(Member.code == identity, Member.phone == identity)))
        if verify(member.password_hash if member else None, form.password.data) and (
                member is not None and member.is_active):
            login_user(member, remember=form.remember.data)
            response = redirect(url_for("auth.change_password") if member.must_change_password
                                else _safe_next(request.args.get("next")))
            response.set_cookie(READER_COOKIE, "1", max_age=30 * 24 * 3600, samesite="Lax",
                                secure=current_app.config["SESSION_COOKIE_SECURE"])
            return response
        flash("党员编号、手机号或密码不正确", "error")
    return render_template("login.html", form=form), 200 if request.method == "GET" else 401


@bp.post("/logout")
def logout() -> Any:
    logout_user()
    response = redirect(url_for("auth.login"))
    response.delete_cookie(READER_COOKIE)
    return response


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = PasswordForm()
    if form.validate_on_submit():
        member: Member = current_user._get_current_object()
        problem = password_problem(form.new.data, phone=member.phone, code=member.code)
        if not verify(member.password_hash, form.current.data):
            form.current.errors.append("当前密码不正确")
        elif problem:
            form.new.errors.append(problem)
        else:
            member.password_hash = hash_password(form.new.data)
            member.must_change_password = False
            member.auth_version += 1  # other sessions of this member end
            db.session.commit()
            login_user(member, remember=True)
            flash("密码已修改", "success")
            return redirect(url_for("me.home"))
    return render_template("password.html", form=form,
                           first_time=current_user.must_change_password)


@login_manager.unauthorized_handler
def unauthorized() -> Any:
    if request.path.startswith("/api/"):
        return {"error": "请先登录"}, 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


# The hot JSON endpoints check status, auth version and the initial password in
# their own SQL (reading/service.py, quiz/autosave.py).
SELF_CHECKING_ENDPOINTS = frozenset({"reading.heartbeat", "quiz_api.answer"})


@bp.before_app_request
def require_new_password() -> Any:
    """An initial password must be changed before anything else."""
    if request.endpoint in SELF_CHECKING_ENDPOINTS:
        return None  # checked inside their own transaction, without a user load
    if not current_user.is_authenticated or not current_user.must_change_password:
        return None
    if request.endpoint in ("auth.change_password", "auth.logout", "static",
                            "site.page") or request.path.startswith("/app/static"):
        return None
    if request.path.startswith("/api/"):
        return {"error": "请先修改初始密码"}, 403
    return redirect(url_for("auth.change_password"))
