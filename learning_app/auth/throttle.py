"""Sign-in throttling with counters in the database, shared by every worker.

An attempt is counted *before* its password is checked: ``reserve`` takes the
counters' rows under a lock (SQLite's write lock, PostgreSQL's row locks),
refuses if a wait applies, and otherwise adds one failure in advance. So
parallel attempts can't all slip past a counter that none of them has
updated yet, and a throttled attempt never reaches the password check. A
success then takes its advance failure back (``succeeded``); a failure
leaves it (``failed`` only says which waits it started).

Whose counters an attempt counts under (``counter_keys``): the account's
(any spelling of the login) and the client address's; or, from a browser
holding a valid device cookie for that account (OWASP's device cookies),
only that device's, so a flood from elsewhere can't keep the owner out.
The clock is passed in (``now``, naive UTC).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, scoped_session

from learning_app.auth.throttle_rules import (
    ACCOUNT,
    ADDRESS,
    DEVICE,
    LOGIN,
    Policy,
    forgotten,
    remaining_wait,
    wait_after,
)
from learning_app.db import begin_write, dialect_insert
from learning_app.models.auth import ThrottleCounter

AnySession = Session | scoped_session[Session]
PolicyFor = Callable[[str], Policy]
DEVICE_COOKIE = "dj_device"
DEVICE_SALT = "sign-in device"
MAX_DEVICES = 5  # accounts remembered by one browser (a family's shared phone)


def counter_keys(*, member_id: int | None, login: str, address: str | None,
                 device: str | None) -> tuple[str, ...]:
    """The counters an attempt counts under (``login`` already normalised)."""
    if device is not None and member_id is not None:
        return (DEVICE + device,)
    account = ACCOUNT + str(member_id) if member_id is not None else LOGIN + login[:150]
    return (account,) if not address else (account, ADDRESS + address[:64])


@dataclass(frozen=True)
class Reservation:
    wait: dt.timedelta  # > 0: throttled, nothing counted, no password check
    failures: dict[str, int]  # the counters with this attempt counted as a failure


def _lock_rows(session: AnySession, keys: Sequence[str], now: dt.datetime) -> list[Any]:
    table = ThrottleCounter.__table__
    session.execute(dialect_insert(session, table).values(
        [{"key": key, "failures": 0, "first_failure_at": now, "last_failure_at": now}
         for key in keys]).on_conflict_do_nothing(index_elements=["key"]))
    query = select(table).where(table.c.key.in_(keys)).order_by(table.c.key)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # SQLite: begin_write already holds the lock
    return list(session.execute(query))


def reserve(session: AnySession, keys: Sequence[str], now: dt.datetime,
            policy_for: PolicyFor) -> Reservation:
    """Whether an attempt may go ahead; if so it is counted as a failure already.
    Commits."""
    keys = sorted(set(keys))  # one lock order for all: no deadlocks
    begin_write(session)
    rows = _lock_rows(session, keys, now)
    wait = max((remaining_wait(row.failures, row.last_failure_at, now, policy_for(row.key))
                for row in rows), default=dt.timedelta(0))
    if wait > dt.timedelta(0):
        session.commit()
        return Reservation(wait, {})
    table = ThrottleCounter.__table__
    failures: dict[str, int] = {}
    for row in rows:
        fresh = row.failures <= 0 or forgotten(row.last_failure_at, now, policy_for(row.key))
        failures[row.key] = 1 if fresh else row.failures + 1
        session.execute(update(table).where(table.c.key == row.key).values(
            failures=failures[row.key], last_failure_at=max(now, row.last_failure_at),
            **({"first_failure_at": now} if fresh else {})))
    session.commit()
    return Reservation(dt.timedelta(0), failures)


def waits_started(reservation: Reservation, policy_for: PolicyFor
                  ) -> list[tuple[str, int, dt.timedelta]]:
    """After a failure: the counters whose next attempt must now wait, with
    their failures and the wait (for the audit log: one event per wait)."""
    started = []
    for key, count in sorted(reservation.failures.items()):
        wait = wait_after(count, policy_for(key))
        if wait > dt.timedelta(0):
            started.append((key, count, wait))
    return started


def succeeded(session: AnySession, keys: Iterable[str], member_id: int) -> None:
    """A right password: clear the account's and the device's counters, and take
    back the advance failure from the address's (the caller commits)."""
    table = ThrottleCounter.__table__
    keys = list(keys)
    cleared = [key for key in keys if not key.startswith(ADDRESS)]
    cleared.append(ACCOUNT + str(member_id))
    session.execute(delete(table).where(table.c.key.in_(cleared)))
    addresses = [key for key in keys if key.startswith(ADDRESS)]
    if addresses:
        session.execute(update(table).where(table.c.key.in_(addresses), table.c.failures > 0)
                        .values(failures=table.c.failures - 1))


def forget_stale(session: AnySession, now: dt.datetime, quiet: dt.timedelta) -> None:
    """Drop sign-in counters quiet for longer than ``quiet`` (the caller commits):
    they count nothing any more, and unknown logins would otherwise pile up."""
    table = ThrottleCounter.__table__
    session.execute(delete(table).where(table.c.key.like("signin:%"),
                                        table.c.last_failure_at < now - quiet))


# -- device cookies -----------------------------------------------------------------

def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=DEVICE_SALT)


Device = tuple[int, str, int]  # member id, nonce, the member's auth_version when issued


def read_devices(cookie: str | None, secret_key: str, max_age: dt.timedelta
                 ) -> list[Device]:
    """The (member id, device nonce, auth version) entries of a device cookie;
    [] if forged or old."""
    if not cookie:
        return []
    try:
        value = _serializer(secret_key).loads(cookie, max_age=int(max_age.total_seconds()))
    except BadSignature:  # SignatureExpired included
        return []
    if not isinstance(value, list):
        return []
    return [(entry[0], entry[1], entry[2]) for entry in value
            if isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], int)
            and isinstance(entry[1], str) and isinstance(entry[2], int)]


def device_for(devices: Sequence[Device], member_id: int | None,
               auth_version: int | None) -> str | None:
    """This browser's device nonce for the account, if it proved itself there with
    the account's current password. A cookie earned before a password change or
    reset counts for nothing: whoever once knew the old password could otherwise
    keep many such cookies, each with free guesses of its own."""
    if member_id is None:
        return None
    return next((nonce for owner, nonce, version in devices
                 if owner == member_id and version == auth_version), None)


def issue_device(devices: Sequence[Device], member_id: int, auth_version: int,
                 secret_key: str) -> str:
    """A new device cookie value after a successful sign-in: a fresh nonce for this
    account, first, keeping up to ``MAX_DEVICES`` - 1 other accounts."""
    entries = [[member_id, secrets.token_urlsafe(16), auth_version]]
    entries += [[owner, nonce, version] for owner, nonce, version in devices
                if owner != member_id]
    return _serializer(secret_key).dumps(entries[:MAX_DEVICES])
