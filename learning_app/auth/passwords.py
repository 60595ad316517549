"""Password hashing (argon2) and the rules for a new password.

Imported members have no password hash until they activate their account
with a one-time activation code (auth/activation.py); there is no initial
password to guess. ``verify`` spends the same argon2 work whether or not
there is a hash, so timing doesn't tell who has an account.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 8


def hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=current_app.config["ARGON2_TIME_COST"],
                          memory_cost=current_app.config["ARGON2_MEMORY_COST"])


def hash_password(password: str) -> str:
    return hasher().hash(password)


_DUMMY_HASHES: dict[tuple[int, int], str] = {}


def _dummy_hash() -> str:
    """A hash of a random secret with the configured cost, made once per setting."""
    key = (current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"])
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASHES[key]


def verify(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; without a stored hash (no account, or one not
    yet activated) the same work is done against a dummy hash, and it fails."""
    try:
        matched = hasher().verify(stored_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and stored_hash is not None


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
