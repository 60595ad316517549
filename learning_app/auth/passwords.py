"""Password hashing (argon2) and the initial-password rule for imported members.

Imported members have no password hash: hashing 100,000 passwords with
argon2 would take an hour. Until a member sets a password, the initial
password is the last six digits of the phone number on the roll, and the
first sign-in forces a change.
"""

from __future__ import annotations

import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 8


def hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=current_app.config["ARGON2_TIME_COST"],
                          memory_cost=current_app.config["ARGON2_MEMORY_COST"])


def hash_password(password: str) -> str:
    return hasher().hash(password)


def initial_password(phone: str | None) -> str | None:
    return phone[-6:] if phone and len(phone) >= 6 else None


def verify(stored_hash: str | None, phone: str | None, password: str) -> bool:
    if stored_hash is None:
        initial = initial_password(phone)
        return initial is not None and hmac.compare_digest(initial, password)
    try:
        return hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, *, phone: str | None, code: str) -> str | None:
    """Why a new password is not acceptable, in words a member understands."""
    if len(password) < MIN_LENGTH:
        return f"密码至少{MIN_LENGTH}位"
    if password.isdigit() and len(set(password)) <= 2:
        return "密码太简单，请不要用重复的数字"
    if phone and password in (phone, phone[-6:], phone[-8:]):
        return "不能用手机号作密码"
    if password == code:
        return "不能用党员编号作密码"
    return None
