"""Who is signed in, read from the session cookie without loading the member.

The hot JSON endpoints (reading heartbeat, exam autosave) check the member's
status and auth version inside their own SQL instead of Flask-Login's user
load: one query less per request. Only a remember-me cookie (no session yet)
takes Flask-Login's full path.
"""

from __future__ import annotations

from flask import session
from flask_login import current_user


def session_identity() -> tuple[int, str | None] | None:
    """``(member_id, auth_version)`` of the signed-in member, or None."""
    user_id = str(session.get("_user_id") or "")
    member_text, _, version = user_id.partition(":")
    if member_text.isdigit():
        return int(member_text), version
    if current_user.is_authenticated:
        return int(current_user.id), str(current_user.auth_version)
    return None
