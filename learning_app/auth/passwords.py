"""Password hashing (argon2) and the rules for a new password.

Imported members have no password hash until they activate their account
with a one-time activation code (auth/activation.py); there is no initial
password to guess. ``verify`` spends the same argon2 work whether or not
there is a hash, so timing doesn't tell who has an account.
"""

from __future__ import annotations

import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from zxcvbn import zxcvbn

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


def password_problem(password: str, *, phone: str | None, code: str,
                     name: str | None = None) -> str | None:
    """Why a new password is not acceptable, in words a member understands.

    Besides the fixed rules, zxcvbn (offline: its word lists ship with the
    package) estimates how fast the password falls to a guesser that tries
    common passwords, words, keyboard patterns, dates, and the member's own
    phone, code and name; below ``MIN_SCORE`` it is refused."""
    if len(password) < MIN_LENGTH:
        return f"密码至少{MIN_LENGTH}位"
    if password.isdigit() and len(set(password)) <= 2:
        return "密码太简单，请不要用重复的数字"
    if phone and password in (phone, phone[-6:], phone[-8:]):
        return "不能用手机号作密码"
    if password.casefold() == code.casefold():
        return "不能用党员编号作密码"
    personal = [value for value in (phone, code, name) if value]
    result = zxcvbn(password, user_inputs=personal + list(LOCAL_WORDS))
    if result["score"] >= MIN_SCORE:
        return None
    return _weak_hint(password, result["sequence"], [value.casefold() for value in personal])


# Guessable here but unknown to zxcvbn's English lists: the portal's own words
# in pinyin, and passwords common in China.
LOCAL_WORDS = (
    "dangjian", "dangyuan", "gongchandang", "zhonggong", "dangwei", "dangzhibu", "zhibu",
    "xuexi", "xuexiqiangguo", "qingchuan", "longquan", "shiqiao", "zhongguo", "woaizhongguo",
    "woaini", "woaini1314", "aini1314", "5201314", "1314520", "iloveyou", "a123456",
)
MIN_SCORE = 2  # zxcvbn's 0-4; 2 is "somewhat guessable": beyond ~10^8 guesses


def _weak_hint(password: str, matches: list[dict[str, Any]], personal: list[str]) -> str:
    """The hint for a password zxcvbn found too weak: what it leans on, then what to do."""
    advice = "请把几个词、数字和符号组合起来，例如一句只有自己记得住的话。"
    text = password.casefold()
    if any(value in text for value in personal):
        return "密码里不要含手机号、党员编号或姓名，别人很容易猜到。" + advice
    if any(match.get("pattern") == "dictionary" for match in matches):
        return "这是很多人在用的常见密码，很容易被猜到。" + advice
    if any(match.get("pattern") in ("repeat", "sequence", "spatial") for match in matches):
        return ("密码不要用重复、连续或键盘上挨着的字符（如 12345678、aaaaaaaa、qwertyui）。"
                + advice)
    return "密码太容易被猜到。" + advice
