"""Sign-in by member code or phone, sign-out and password change.

Sign-ins live on the server (auth/sessions.py): signing out ends them, so a
copied session or remember-me cookie stops working. Failed sign-ins are
throttled by counters in the database (auth/throttle.py), per account and
per address, slowing attempts down rather than locking anyone out; a browser
that once signed in to an account (device cookie) counts apart.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

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
from flask.blueprints import BlueprintSetupState
from flask_login import current_user, login_required, login_user, logout_user

from learning_app.audit.service import client_address, record
from learning_app.auth import lookup, sessions, throttle
from learning_app.auth.cli import set_account_command
from learning_app.auth.forms import LoginForm, PasswordForm
from learning_app.auth.passwords import hash_password, password_problem, verify
from learning_app.auth.throttle_rules import (
    ACCOUNT,
    ACCOUNT_POLICY,
    ADDRESS,
    SESSION,
    normalize_login,
    policy_for,
    retry_after_seconds,
    throttled_message,
    wait_text,
)
from learning_app.cli import add_commands
from learning_app.db import begin_write
from learning_app.extensions import db, login_manager
from learning_app.models import Member
from learning_app.models.types import utcnow

bp = Blueprint("auth", __name__, url_prefix="/app", cli_group=None)
add_commands(bp, set_account_command)
READER_COOKIE = "dj_reader"  # tells the site's tracker script that the app is there
FAILED = "党员编号、手机号或密码不正确"


@bp.record_once
def _cookie_rules(state: BlueprintSetupState) -> None:
    """Whatever the configuration says: the remember-me cookie is Secure whenever
    the session cookie is, HttpOnly, and lives at most 30 days."""
    config = state.app.config
    if config.get("SESSION_COOKIE_SECURE"):
        config["REMEMBER_COOKIE_SECURE"] = True
    config["REMEMBER_COOKIE_HTTPONLY"] = True
    duration = config.get("REMEMBER_COOKIE_DURATION", sessions.MAX_REMEMBER)
    if not isinstance(duration, dt.timedelta):
        duration = dt.timedelta(seconds=int(duration))
    config["REMEMBER_COOKIE_DURATION"] = min(duration, sessions.MAX_REMEMBER)


@login_manager.user_loader
def load_member(user_id: str) -> Member | None:
    parsed = sessions.parse_user_id(user_id)
    return None if parsed is None else sessions.load(db.session, parsed, utcnow())


def safe_next(target: str | None) -> str:
    """A path on this site to go to after signing in; the home page otherwise.

    No scheme or host, no "//" or backslash (browsers read "/\\host" as
    "//host"), no control characters (CR/LF would split the Location header)."""
    if (target and target.startswith("/") and not target.startswith("//")
            and "\\" not in target and target.isprintable()
            and not urlsplit(target).netloc):
        return target
    return url_for("me.home")


def _policy_for() -> throttle.PolicyFor:
    account_free = int(current_app.config["LOGIN_FREE_FAILURES_PER_ACCOUNT"])
    address_free = int(current_app.config["LOGIN_FREE_FAILURES_PER_ADDRESS"])
    return lambda key: policy_for(key, account_free=account_free, address_free=address_free)


def find_member(typed: str) -> Member | None:
    return lookup.find_member(db.session, typed)


def _device_max_age() -> dt.timedelta:
    return dt.timedelta(days=int(current_app.config["DEVICE_COOKIE_DAYS"]))


def _throttled(form: LoginForm, wait: dt.timedelta) -> Any:
    flash(throttled_message(wait), "error")
    response = make_response(render_template("login.html", form=form), 429)
    response.headers["Retry-After"] = str(retry_after_seconds(wait))
    return response


def _record_failure(member: Member | None, typed: str, reservation: throttle.Reservation
                    ) -> None:
    """Audit a failed sign-in, and each wait it started (once per wait)."""
    begin_write(db.session)
    if member is not None:
        member = db.session.get(Member, member.id)
    reason = "密码错误" if member is None or member.is_active else "账号已出册"
    record(db.session, "sign_in_failed", target=member,
           detail=reason if member is not None else f"不存在的账号：{typed[:40]}")
    for key, failures, wait in throttle.waits_started(reservation, _policy_for()):
        if key.startswith(ADDRESS):
            what = f"地址 {key[len(ADDRESS):]}"
        elif key.startswith(ACCOUNT):
            what = "该账号"
        else:
            what = "该设备" if member is not None else f"账号“{typed[:40]}”"
        record(db.session, "sign_in_throttled", target=member,
               detail=f"{what}连续登录失败{failures}次，下次尝试须等待{wait_text(wait)}")
    db.session.commit()


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("login.html", form=form), (
            200 if request.method in ("GET", "HEAD") else 400)
    now = utcnow()
    typed = normalize_login(form.login.data)
    member = find_member(form.login.data)
    member_id = member.id if member is not None else None
    secret = current_app.config["SECRET_KEY"]
    devices = throttle.read_devices(request.cookies.get(throttle.DEVICE_COOKIE), secret,
                                    _device_max_age())
    keys = throttle.counter_keys(member_id=member_id, login=typed, address=client_address(),
                                 device=throttle.device_for(
                                     devices, member_id,
                                     member.auth_version if member is not None else None))
    reservation = throttle.reserve(db.session, keys, now, _policy_for())
    if reservation.wait:
        # Answered without checking the password: a throttled attempt learns nothing.
        return _throttled(form, reservation.wait)
    member = db.session.get(Member, member_id) if member_id is not None else None
    # One argon2 verification whether or not the account exists (passwords.verify).
    right = verify(member.password_hash if member is not None else None, form.password.data)
    if not right or member is None or not member.is_active:
        _record_failure(member, typed, reservation)
        flash(FAILED, "error")
        return render_template("login.html", form=form), 401
    remember = bool(form.remember.data)
    config = current_app.config
    begin_write(db.session)
    throttle.succeeded(db.session, keys, member.id)
    throttle.forget_stale(db.session, now, ACCOUNT_POLICY.quiet)
    sign_in = sessions.start(
        db.session, member, remember=remember, now=now,
        duration=sessions.lifetime(remember=remember,
                                   session_hours=float(config["LOGIN_SESSION_HOURS"]),
                                   remember_duration=config["REMEMBER_COOKIE_DURATION"]),
        address=client_address(), user_agent=request.user_agent.string)
    record(db.session, "sign_in", actor=member, target=member,
           detail="保持登录" if remember else None)
    db.session.commit()
    member.sign_in_id = sign_in.id
    login_user(member, remember=remember)
    response = redirect(url_for("auth.change_password") if member.must_change_password
                        else safe_next(request.args.get("next")))
    secure = bool(config["SESSION_COOKIE_SECURE"])
    response.set_cookie(READER_COOKIE, "1", max_age=30 * 24 * 3600, samesite="Lax",
                        secure=secure)
    device = throttle.issue_device(devices, member.id, member.auth_version, secret)
    response.set_cookie(throttle.DEVICE_COOKIE, device,
                        max_age=int(_device_max_age().total_seconds()),
                        path=url_for("auth.login"), secure=secure, httponly=True,
                        samesite="Lax")
    return response


@bp.post("/logout")
def logout() -> Any:
    if current_user.is_authenticated:
        member: Member = current_user._get_current_object()
        sign_in_id = member.sign_in_id
        begin_write(db.session)
        sessions.end(db.session, sign_in_id, utcnow())
        record(db.session, "sign_out", actor=member, target=member)
        db.session.commit()
    logout_user()
    response = redirect(url_for("auth.login"))
    response.delete_cookie(READER_COOKIE)
    return response


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = PasswordForm()
    first_time = current_user.must_change_password
    if form.validate_on_submit():
        member: Member = current_user._get_current_object()
        member_id, sign_in_id = member.id, member.sign_in_id
        # Guessing the current password from a signed-in browser is slowed down
        # per sign-in, like sign-in itself.
        now = utcnow()
        keys = (SESSION + sign_in_id,)
        reservation = throttle.reserve(db.session, keys, now, _policy_for())
        if reservation.wait:
            form.current.errors.append(throttled_message(reservation.wait))
            response = make_response(render_template("password.html", form=form,
                                                     first_time=first_time), 429)
            response.headers["Retry-After"] = str(retry_after_seconds(reservation.wait))
            return response
        member = db.session.get_one(Member, member_id)
        problem = password_problem(form.new.data, phone=member.phone, code=member.code,
                                   name=member.name)
        if not verify(member.password_hash, form.current.data):
            form.current.errors.append("当前密码不正确")
        else:
            begin_write(db.session)
            throttle.succeeded(db.session, keys, member_id)
            db.session.commit()
            if problem:
                form.new.errors.append(problem)
            else:
                return _set_password(member_id, sign_in_id, form.new.data, now)
    return render_template("password.html", form=form, first_time=first_time)


def _set_password(member_id: int, sign_in_id: str, password: str, now: dt.datetime) -> Any:
    new_hash = hash_password(password)  # slow: before the write lock
    begin_write(db.session)
    member = db.session.get_one(Member, member_id)
    member.password_hash = new_hash
    member.must_change_password = False
    member.auth_version += 1  # other sessions of this member end
    sessions.end_others(db.session, member_id, sign_in_id, now)  # and their sign-ins too
    record(db.session, "password_changed", actor=member, target=member)
    remember = sessions.remembered(db.session, sign_in_id)
    db.session.commit()
    member.sign_in_id = sign_in_id  # this browser stays signed in, under the new version
    login_user(member, remember=remember)
    flash("密码已修改", "success")
    return redirect(url_for("me.home"))


@login_manager.unauthorized_handler
def unauthorized() -> Any:
    if request.path.startswith("/api/"):
        return {"error": "请先登录"}, 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


# The hot JSON endpoints check status, auth version, the sign-in row and the
# initial password in their own SQL (reading/service.py, quiz/autosave.py).
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
