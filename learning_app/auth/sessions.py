"""Sign-ins kept on the server (table ``member_sessions``, model ``SignIn``).

Each sign-in is one row with a random id. Flask-Login's user id, stored in
the session cookie and in the remember-me cookie alike, is
``"member_id:auth_version:sign_in_id"``; a member is loaded only while that
row is neither ended nor expired. Signing out ends the row, so copies of
either cookie stop working. A sign-in without remember-me expires after
``LOGIN_SESSION_HOURS``; with it, after ``REMEMBER_COOKIE_DURATION`` (at most
30 days). No last-seen time is stored: this is not an activity tracker.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session, scoped_session

from learning_app.models import Member
from learning_app.models.auth import SignIn

AnySession = Session | scoped_session[Session]
MAX_REMEMBER = dt.timedelta(days=30)


class UserId(NamedTuple):
    member_id: int
    auth_version: str
    sign_in_id: str


def format_user_id(member_id: int, auth_version: int | str, sign_in_id: str) -> str:
    return f"{member_id}:{auth_version}:{sign_in_id}"


def parse_user_id(text: object) -> UserId | None:
    """The parts of a Flask-Login user id; None for anything else (an old
    ``"id:version"`` cookie from before server-side sessions included)."""
    member, _, rest = str(text or "").partition(":")
    version, _, sign_in = rest.partition(":")
    if not (member.isascii() and member.isdigit() and len(member) <= 18 and version.isdigit()
            and sign_in and len(sign_in) <= 64):
        return None
    return UserId(int(member), version, sign_in)


def lifetime(*, remember: bool, session_hours: float,
             remember_duration: dt.timedelta) -> dt.timedelta:
    """How long a new sign-in lasts; remember-me never beyond 30 days."""
    if remember:
        return min(remember_duration, MAX_REMEMBER)
    return dt.timedelta(hours=session_hours)


def live(expires_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a sign-in found not ended (``expires_at`` None: none found) is still valid."""
    return expires_at is not None and now < expires_at


def start(session: AnySession, member: Member, *, remember: bool, now: dt.datetime,
          duration: dt.timedelta, address: str | None, user_agent: str | None) -> SignIn:
    """Add a sign-in for ``member`` (the caller commits) and name it on the member,
    so that ``member.get_id()`` carries it into the cookies."""
    row = SignIn(id=secrets.token_urlsafe(32), member_id=member.id, remember=remember,
                 created_at=now, expires_at=now + duration,
                 address=(address or None) and address[:64],
                 user_agent=(user_agent or None) and user_agent[:200])
    session.add(row)
    member.sign_in_id = row.id
    return row


def end(session: AnySession, sign_in_id: str, now: dt.datetime) -> bool:
    """End one sign-in (the caller commits); whether it was still open."""
    result = session.execute(update(SignIn).where(
        SignIn.id == sign_in_id, SignIn.ended_at.is_(None)).values(ended_at=now))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def end_others(session: AnySession, member_id: int, keep: str | None,
               now: dt.datetime) -> int:
    """End every open sign-in of a member except ``keep`` (the caller commits)."""
    query = update(SignIn).where(SignIn.member_id == member_id, SignIn.ended_at.is_(None))
    if keep:
        query = query.where(SignIn.id != keep)
    return int(session.execute(query.values(ended_at=now)).rowcount)  # type: ignore[attr-defined]


def load(session: AnySession, user_id: UserId, now: dt.datetime) -> Member | None:
    """The signed-in member named by a user id, in one query; None when the
    sign-in is unknown, ended or expired, the password changed since, or the
    member left the roll."""
    member = session.scalar(
        select(Member).join(SignIn, SignIn.member_id == Member.id).where(
            Member.id == user_id.member_id, SignIn.id == user_id.sign_in_id,
            SignIn.ended_at.is_(None), SignIn.expires_at > now))
    if member is None or str(member.auth_version) != user_id.auth_version:
        return None
    if not member.is_active:
        return None
    member.sign_in_id = user_id.sign_in_id
    return member


def remembered(session: AnySession, sign_in_id: str) -> bool:
    return bool(session.scalar(select(SignIn.remember).where(SignIn.id == sign_in_id)))
