"""One-time activation codes (开通码): issued per branch on a printable 开通通知单,
used once by the member to set their first password (or a new one after a reset).

Rules first (plain functions: the code's shape, normalising what a member
types, expiry), then the service (issue, activate), one transaction each.

A code is 10 random digits, printed in groups ("3821 0945 67") so an older
member can type it on a phone keypad. Only its argon2 hash is stored; the
plain code exists once, on the notice page (or the command's output) that
issued it. It expires (``ACTIVATION_DAYS``, default 14), works once, and a new
code revokes the member's older unused ones. Every way a code can be wrong
(no such account, wrong digits, expired, used, revoked) gives one message, and
every attempt counts on the sign-in throttle's shared counters (auth/throttle.py).
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, scoped_session

from learning_app.audit.service import record
from learning_app.auth import lookup, sessions, throttle, throttle_rules
from learning_app.auth.passwords import hash_password, password_problem
from learning_app.db import begin_write
from learning_app.errors import Refused
from learning_app.models import ActivationCode, Member, ThrottleCounter
from learning_app.models.types import TZ

AnySession = Session | scoped_session[Session]

CODE_DIGITS = 10
DEFAULT_DAYS = 14
MAX_FAILURES = 5  # free failures per account before attempts must wait (as at sign-in)
MAX_NOTICES = 200  # per request: hashing stays well inside a worker's timeout
FAILED = ("开通码不正确或已失效。请核对党员编号（或手机号）和开通码后重试；"
          "仍不成功，请找所在党支部重新领取开通通知单。")

# Codes are random (33 bits) and expire, so they are hashed at OWASP's argon2id
# minimum (19 MiB, 2 passes) rather than the password cost: at the password cost
# one hash took 0.4 s on the server, and a branch of 60 members would wait 25 s.
CODE_TIME_COST = 2
CODE_MEMORY_COST = 19456


# ------------------------------------------------------------------ rules

def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def format_code(code: str) -> str:
    """Groups of four for reading aloud and typing: "3821 0945 67"."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalize_code(typed: str) -> str | None:
    """The digits of a typed code: full-width digits (a Chinese keyboard), spaces
    and dashes allowed; None unless exactly ``CODE_DIGITS`` digits remain."""
    text = unicodedata.normalize("NFKC", typed or "")
    digits = "".join(ch for ch in text if ch not in " -\t")
    return digits if len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit() \
        else None


def expiry(now: dt.datetime, days: int) -> dt.datetime:
    return now + dt.timedelta(days=days)


def local_expiry(expires_at: dt.datetime) -> str:
    """Beijing time, as printed on the notice: "2026年12月9日 16:30"."""
    local = expires_at.replace(tzinfo=dt.UTC).astimezone(TZ)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def activation_days() -> int:
    return int(current_app.config.get("ACTIVATION_DAYS", DEFAULT_DAYS))


def _code_hasher() -> PasswordHasher:
    # Never dearer than the password setting (the tests make that cheap).
    return PasswordHasher(
        time_cost=min(CODE_TIME_COST, current_app.config["ARGON2_TIME_COST"]),
        memory_cost=min(CODE_MEMORY_COST, current_app.config["ARGON2_MEMORY_COST"]))


def hash_code(code: str) -> str:
    return _code_hasher().hash(code)


_DUMMY: dict[tuple[int, int], str] = {}


def verify_code(stored_hash: str | None, typed: str | None) -> bool:
    """Whether ``typed`` matches; without a live code (or with a malformed entry)
    the same argon2 work is spent on a dummy hash, so timing tells nothing."""
    hasher = _code_hasher()
    key = (hasher.time_cost, hasher.memory_cost)
    if key not in _DUMMY:
        _DUMMY[key] = hasher.hash(new_code())
    try:
        matched = hasher.verify(stored_hash or _DUMMY[key], typed or "0" * CODE_DIGITS)
    except (VerificationError, InvalidHashError):
        return False
    return matched and stored_hash is not None and typed is not None


# ---------------------------------------------------------------- issuing

@dataclass(frozen=True)
class Notice:
    """One slip of the 开通通知单 (the plain code lives only here)."""

    member_id: int
    name: str
    member_code: str
    org_name: str
    code: str  # formatted, "3821 0945 67"
    expires: str  # Beijing time, as printed


def issue(session: AnySession, members: Sequence[Member], *, by: Member | None,
          now: dt.datetime, days: int | None = None, detail: str | None = None
          ) -> list[Notice]:
    """New codes for ``members`` (active ones; the caller checked the rights),
    revoking their older unused codes, with one audit event each. Commits.

    The hashing happens before the write transaction, so the write lock is
    held for the inserts only."""
    if any(not member.is_active for member in members):
        raise Refused(400, "已出册的党员不能开通账号")
    days = days or activation_days()
    prepared = [(member.id, code, hash_code(code)) for member, code in
                ((member, new_code()) for member in members)]
    actor_id = by.id if by else None
    begin_write(session)
    actor = session.get(Member, actor_id) if actor_id else None
    notices = []
    for member_id, code, digest in prepared:
        target = session.get(Member, member_id)
        assert target is not None
        notices.append(_issue_in_transaction(session, target, code, digest, by=actor, now=now,
                                             days=days, detail=detail or f"有效期{days}天"))
    session.commit()
    return notices


def reset_and_issue(session: AnySession, member: Member, *, by: Member | None,
                    now: dt.datetime) -> Notice:
    """Reset one member's password: the old one stops working and every session
    ends (auth_version), and a new code lets the member set another. Commits."""
    member_id, actor_id = member.id, (by.id if by else None)
    code = new_code()
    digest = hash_code(code)
    begin_write(session)
    target = session.get(Member, member_id)
    actor = session.get(Member, actor_id) if actor_id else None
    assert target is not None
    had_password = target.password_hash is not None
    session.execute(update(Member).where(Member.id == member_id).values(
        password_hash=None, must_change_password=True, auth_version=Member.auth_version + 1))
    sessions.end_others(session, member_id, None, now)
    target = session.get(Member, member_id, populate_existing=True)
    assert target is not None
    notice = _issue_in_transaction(
        session, target, code, digest, by=actor, now=now, days=activation_days(),
        detail="重置密码：原密码作废，已登录的设备退出，发放新开通码",
        before={"password": "set" if had_password else "none"})
    session.commit()
    return notice


def _issue_in_transaction(session: AnySession, member: Member, code: str, digest: str, *,
                          by: Member | None, now: dt.datetime, days: int, detail: str,
                          before: dict[str, str] | None = None) -> Notice:
    expires_at = expiry(now, days)
    if session.get_bind().dialect.name == "postgresql":
        # Two admins issuing at once: the second waits, then revokes the first's code.
        session.execute(select(Member.id).where(Member.id == member.id).with_for_update())
    session.execute(update(ActivationCode).where(
        ActivationCode.member_id == member.id, ActivationCode.used_at.is_(None),
        ActivationCode.revoked_at.is_(None)).values(revoked_at=now))
    session.add(ActivationCode(member_id=member.id, code_hash=digest, created_at=now,
                               expires_at=expires_at, created_by=by.id if by else None))
    # The secretary vouched for the member: attempts start afresh with the new code.
    session.execute(delete(ThrottleCounter).where(
        ThrottleCounter.key == throttle_rules.ACCOUNT + str(member.id)))
    record(session, "activation_issued", actor=by, target=member, before=before,
           after={"expires_at": expires_at.isoformat(timespec="seconds")}, detail=detail)
    return Notice(member.id, member.name, member.code, member.org.name if member.org else "",
                  format_code(code), local_expiry(expires_at))


# ------------------------------------------------------------- activating

class ActivationError(Exception):
    """Activation refused; ``field`` is the form field the message belongs to,
    ``status`` the HTTP status of the page that shows it."""

    def __init__(self, message: str, field: str = "code", status: int = 400,
                 retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status
        self.retry_after = retry_after


def find_member(session: AnySession, login: str) -> Member | None:
    """An active member by code (any letter case, as at sign-in) or phone."""
    member = lookup.find_member(session, login)
    return member if member is not None and member.is_active else None


def live_code(session: AnySession, member_id: int, now: dt.datetime) -> ActivationCode | None:
    return session.scalar(select(ActivationCode).where(
        ActivationCode.member_id == member_id, ActivationCode.used_at.is_(None),
        ActivationCode.revoked_at.is_(None), ActivationCode.expires_at > now)
        .order_by(ActivationCode.created_at.desc(), ActivationCode.id.desc()).limit(1))


def _policy_for() -> throttle.PolicyFor:
    config = current_app.config
    account_free = int(config.get("LOGIN_FREE_FAILURES_PER_ACCOUNT", MAX_FAILURES))
    address_free = config.get("LOGIN_FREE_FAILURES_PER_ADDRESS")
    return lambda key: throttle_rules.policy_for(
        key, account_free=account_free,
        address_free=int(address_free) if address_free is not None else None)


def activate(session: AnySession, login: str, typed_code: str, password: str, *,
             now: dt.datetime, address: str | None = None) -> Member:
    """Use a code: set the member's password, end their other sign-ins. Commits.

    Attempts count on the sign-in throttle's shared counters (auth/throttle.py:
    per account, whatever the spelling, and per client ``address``), counted
    before the code is checked; past ``MAX_FAILURES`` free failures attempts
    must wait, doubling, instead of anyone being locked out. Raises
    ``ActivationError``: the one generic message for any wrong, expired, used or
    revoked code and for an unknown account; a wait (429); or a password hint
    once the code is right (the code is then not spent)."""
    member = find_member(session, login)
    member_id = member.id if member is not None else None
    keys = throttle.counter_keys(member_id=member_id, login=throttle_rules.normalize_login(login),
                                 address=address, device=None)
    policy = _policy_for()
    reservation = throttle.reserve(session, keys, now, policy)
    if reservation.wait:
        raise ActivationError(
            f"尝试次数过多，为保护账号安全，请{throttle_rules.wait_text(reservation.wait)}后再试。",
            status=429, retry_after=throttle_rules.retry_after_seconds(reservation.wait))
    member = session.get(Member, member_id) if member_id is not None else None
    code_row = live_code(session, member_id, now) if member_id is not None else None
    if not verify_code(code_row.code_hash if code_row else None, normalize_code(typed_code)):
        _failed(session, member_id, login, reservation, policy)
        raise ActivationError(FAILED)
    assert member is not None and code_row is not None
    code_id = code_row.id
    problem = password_problem(password, phone=member.phone, code=member.code)
    if problem:
        begin_write(session)
        throttle.succeeded(session, keys, member_id)  # the code was right: no failure
        session.commit()
        raise ActivationError(problem, field="new")
    new_hash = hash_password(password)  # slow: before the write lock
    begin_write(session)
    # Two parallel uses of one code: the second finds used_at set and changes nothing.
    spent = session.execute(update(ActivationCode).where(
        ActivationCode.id == code_id, ActivationCode.used_at.is_(None),
        ActivationCode.revoked_at.is_(None), ActivationCode.expires_at > now)
        .values(used_at=now))
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise ActivationError(FAILED)
    session.execute(update(Member).where(Member.id == member_id).values(
        password_hash=new_hash, must_change_password=False,
        auth_version=Member.auth_version + 1))
    sessions.end_others(session, member_id, None, now)  # a reset's old sign-ins stay ended
    throttle.succeeded(session, keys, member_id)
    member = session.get(Member, member_id, populate_existing=True)
    assert member is not None
    record(session, "activation_used", actor=member, target=member,
           after={"password": "set"}, detail="使用开通码设置密码")
    session.commit()
    return member


def _failed(session: AnySession, member_id: int | None, login: str,
            reservation: throttle.Reservation, policy: throttle.PolicyFor) -> None:
    """Audit a failed attempt (its failure is already counted), naming any wait
    it started."""
    begin_write(session)
    target = session.get(Member, member_id) if member_id is not None else None
    detail = "开通码错误、过期或已用" if target else "账号不存在或已出册"
    waits = [f"连续失败{failures}次，下次须等待{throttle_rules.wait_text(wait)}"
             for key, failures, wait in throttle.waits_started(reservation, policy)
             if not key.startswith(throttle_rules.ADDRESS)]
    typed = throttle_rules.normalize_login(login)[:40] or "（空）"
    record(session, "activation_failed", target=target, target_label=None if target else typed,
           detail="；".join([detail, *waits]))
    session.commit()
