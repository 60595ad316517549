"""The rules of sign-in throttling, as plain functions (no Flask, no database).

Failed sign-ins are counted per account (whatever spelling was typed), per
client address, and per trusted device (OWASP's device cookies). A counter
never locks anyone out: after its free failures each further failure makes
the next attempt wait, doubling up to a cap, and a quiet period forgets it.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass

# Keys in auth_throttle; the prefix keeps them apart from other counters there
# (activation codes use "activation:…").
ACCOUNT = "signin:account:"  # a known member's id
LOGIN = "signin:login:"  # an unknown login, as normalised
ADDRESS = "signin:address:"
DEVICE = "signin:device:"  # a device cookie's nonce
SESSION = "signin:session:"  # the current password, asked on a signed-in browser


@dataclass(frozen=True)
class Policy:
    free: int  # failures before any wait
    first_wait: dt.timedelta  # the wait after the first failure past ``free``
    cap: dt.timedelta  # the longest wait
    quiet: dt.timedelta  # no failure for this long: the counter starts again


ACCOUNT_POLICY = Policy(free=5, first_wait=dt.timedelta(seconds=5),
                        cap=dt.timedelta(minutes=15), quiet=dt.timedelta(hours=24))
# An address may be a village office or a mobile carrier's NAT shared by many
# members, so it gets more free failures than one account.
ADDRESS_POLICY = Policy(free=20, first_wait=dt.timedelta(seconds=5),
                        cap=dt.timedelta(minutes=15), quiet=dt.timedelta(hours=24))


def policy_for(key: str, *, account_free: int | None = None,
               address_free: int | None = None) -> Policy:
    if key.startswith(ADDRESS):
        base = ADDRESS_POLICY
        free = address_free
    else:
        base = ACCOUNT_POLICY
        free = account_free
    return base if free is None else Policy(free, base.first_wait, base.cap, base.quiet)


def wait_after(failures: int, policy: Policy = ACCOUNT_POLICY) -> dt.timedelta:
    """How long the next attempt must wait after ``failures`` failures in a row.

    With the account policy: failures 1-4 nothing, after the 5th 5 s, then
    10 s, 20 s, … doubling to 15 minutes from the 13th on."""
    if failures < policy.free:
        return dt.timedelta(0)
    doublings = failures - policy.free
    if doublings >= 32:  # no float overflow; far past the cap anyway
        return policy.cap
    return min(policy.first_wait * (2 ** doublings), policy.cap)


def forgotten(last_failure_at: dt.datetime, now: dt.datetime, policy: Policy) -> bool:
    return now - last_failure_at >= policy.quiet


def remaining_wait(failures: int, last_failure_at: dt.datetime | None, now: dt.datetime,
                   policy: Policy) -> dt.timedelta:
    """How much longer an attempt must wait now (zero: it may go ahead)."""
    wait = wait_after(failures, policy)
    if not wait or last_failure_at is None or forgotten(last_failure_at, now, policy):
        return dt.timedelta(0)
    # Clamped: another worker's clock (or one read before a lock) may be a little behind.
    return min(max(last_failure_at + wait - now, dt.timedelta(0)), wait)


def retry_after_seconds(wait: dt.timedelta) -> int:
    """The Retry-After header: whole seconds, rounded up, at least 1."""
    return max(1, math.ceil(wait.total_seconds()))


def wait_text(wait: dt.timedelta) -> str:
    """A wait in words: "8秒", "2分钟", "1分30秒"."""
    seconds = retry_after_seconds(wait)
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest}秒"
    return f"{minutes}分钟" if not rest else f"{minutes}分{rest}秒"


def throttled_message(wait: dt.timedelta) -> str:
    return f"登录尝试过于频繁，为保护账号安全，请{wait_text(wait)}后再试。"


def normalize_login(typed: str | None) -> str:
    """The typed login as one spelling: full-width to half-width, trimmed, case-folded;
    a phone typed with spaces or dashes loses them."""
    text = unicodedata.normalize("NFKC", typed or "").strip().casefold()
    compact = text.replace(" ", "").replace("-", "")
    return compact if compact.isascii() and compact.isdigit() else text
