"""Which member a typed login names: the one lookup for sign-in and activation."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, scoped_session

from learning_app.auth.throttle_rules import normalize_login
from learning_app.models import Member


def find_member(session: Session | scoped_session[Session], typed: str) -> Member | None:
    """The member a typed login names: code (any letter case) or phone.

    One indexed query whatever is typed, so an unknown login costs what a known
    one does. Inactive members are returned too; callers decide what they may do."""
    login = normalize_login(typed)
    if not login:
        return None
    raw = (typed or "").strip()
    codes = {login, login.upper(), raw}
    found = session.scalars(select(Member).where(
        or_(Member.code.in_(codes), Member.phone == login)).limit(3)).all()
    exact = [m for m in found if m.code == raw or m.phone == login]
    return (exact or list(found) or [None])[0]
