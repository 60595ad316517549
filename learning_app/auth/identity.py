"""Who is signed in, read from the session cookie without loading the member.

The hot JSON endpoints (reading heartbeat, exam autosave) check the member's
status, auth version and sign-in row (ended? expired?) inside their own SQL
instead of Flask-Login's user load: one query less per request. Only a
remember-me cookie (no session yet) takes Flask-Login's full path.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import session
from flask_login import current_user

from learning_app.auth.sessions import parse_user_id


class Identity(NamedTuple):
    member_id: int
    auth_version: str | None
    session_id: str | None  # the sign-in row the caller's SQL must find open


def session_identity() -> Identity | None:
    """The signed-in member as the session cookie names them, or None.

    Not yet checked: the caller's SQL refuses an ended or expired sign-in,
    a changed auth version and a member who left the roll."""
    user_id = parse_user_id(session.get("_user_id"))
    if user_id is not None:
        return Identity(user_id.member_id, user_id.auth_version, user_id.sign_in_id)
    if current_user.is_authenticated:  # loaded (and checked) from a remember-me cookie
        return Identity(int(current_user.id), str(current_user.auth_version),
                        current_user.sign_in_id)
    return None
