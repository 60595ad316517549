"""Issue 11, finding 7: sign-in throttling shared by every worker, that slows
guessing down without locking anyone out (auth/throttle.py, throttle_rules.py).

The numbers (docs/security.md): per account 5 failures free, then the next
attempt waits 5 s, 10 s, 20 s, … up to 15 minutes; per address 20 free; a day
without failures forgets them. A browser that signed in to the account before
(device cookie) counts apart from the account's shared counter.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from learning_app.auth import throttle
from learning_app.auth.throttle_rules import (
    ACCOUNT,
    ACCOUNT_POLICY,
    ADDRESS,
    ADDRESS_POLICY,
    normalize_login,
    policy_for,
    remaining_wait,
    retry_after_seconds,
    wait_after,
    wait_text,
)
from learning_app.extensions import db
from learning_app.models import AuditEvent
from learning_app.models.auth import ThrottleCounter
from tests.app.conftest import PASSWORD, MakeMember, csrf_from

S = dt.timedelta(seconds=1)
T0 = dt.datetime(2026, 5, 1, 8, 0)


def attempt(client: FlaskClient, login: str, password: str) -> Any:
    token = csrf_from(client.get("/app/login").get_data(as_text=True))
    return client.post("/app/login", data={"login": login, "password": password,
                                           "csrf_token": token})


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often argon2 checked a password (the real check still runs)."""
    calls: Counter[str] = Counter()
    original = PasswordHasher.verify

    def counted(self: PasswordHasher, hash: str, password: str) -> bool:
        calls["verify"] += 1
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    return calls


# -- the rules, as plain functions ---------------------------------------------------

def test_the_wait_after_n_failures() -> None:
    waits = [wait_after(n) for n in range(0, 15)]
    assert waits[:5] == [dt.timedelta(0)] * 5  # five failures free
    assert waits[5:9] == [5 * S, 10 * S, 20 * S, 40 * S]  # then doubling
    assert waits[13] == waits[14] == dt.timedelta(minutes=15)  # up to the cap
    assert wait_after(10**6) == dt.timedelta(minutes=15)
    assert wait_after(19, ADDRESS_POLICY) == dt.timedelta(0)
    assert wait_after(20, ADDRESS_POLICY) == 5 * S


def test_a_wait_runs_out_and_a_quiet_day_forgets() -> None:
    assert remaining_wait(5, T0, T0 + 2 * S, ACCOUNT_POLICY) == 3 * S
    assert remaining_wait(5, T0, T0 + 5 * S, ACCOUNT_POLICY) == dt.timedelta(0)
    assert remaining_wait(30, T0, T0 + dt.timedelta(minutes=14), ACCOUNT_POLICY) == \
        dt.timedelta(minutes=1)
    assert remaining_wait(30, T0, T0 + dt.timedelta(hours=24), ACCOUNT_POLICY) == \
        dt.timedelta(0)
    # Free failures stay free, even against a clock read a moment before another's.
    assert remaining_wait(3, T0 + S, T0, ACCOUNT_POLICY) == dt.timedelta(0)
    assert remaining_wait(5, T0 + S, T0, ACCOUNT_POLICY) == 5 * S  # never beyond the wait
    assert policy_for(ADDRESS + "1.2.3.4").free == 20
    assert policy_for(ACCOUNT + "7", account_free=3).free == 3


def test_waits_in_words_and_headers() -> None:
    assert wait_text(4.2 * S) == "5秒" and retry_after_seconds(4.2 * S) == 5
    assert wait_text(120 * S) == "2分钟" and wait_text(90 * S) == "1分30秒"
    assert retry_after_seconds(dt.timedelta(0)) == 1


def test_logins_are_one_spelling() -> None:
    assert normalize_login("  M00012 ") == "m00012" == normalize_login("ｍ００012")
    assert normalize_login("139 1234-5678") == "13912345678"
    assert normalize_login(None) == ""


# -- the service, with the clock passed in ---------------------------------------------

def test_the_service_counts_in_advance_and_honours_the_clock(ctx: Flask) -> None:
    keys = (ACCOUNT + "1", ADDRESS + "10.0.0.1")
    for n in range(5):
        reservation = throttle.reserve(db.session, keys, T0 + n * S, policy_for)
        assert reservation.wait == dt.timedelta(0)
        assert reservation.failures == {keys[0]: n + 1, keys[1]: n + 1}
    assert [k for k, _, _ in throttle.waits_started(reservation, policy_for)] == [keys[0]]
    early = throttle.reserve(db.session, keys, T0 + 6 * S, policy_for)
    assert early.wait == 3 * S and early.failures == {}  # last failure at T0+4s, wait 5 s
    assert throttle.reserve(db.session, keys, T0 + 9 * S, policy_for).wait == dt.timedelta(0)
    later = throttle.reserve(db.session, keys, T0 + dt.timedelta(days=2), policy_for)
    assert later.failures[keys[0]] == 1  # forgotten after a quiet day
    throttle.forget_stale(db.session, T0 + dt.timedelta(days=3, seconds=1), ACCOUNT_POLICY.quiet)
    db.session.commit()
    assert db.session.scalars(select(ThrottleCounter)).all() == []  # no pile of old rows


# -- over HTTP ---------------------------------------------------------------------------

def test_parallel_wrong_passwords_get_the_documented_five(
        app: Flask, make_member: MakeMember, verifications: Counter[str]) -> None:
    member = make_member()
    code = member.code
    statuses: list[int] = []
    start = threading.Barrier(12)

    def guess() -> None:
        client = app.test_client()
        token = csrf_from(client.get("/app/login").get_data(as_text=True))
        start.wait()
        response = client.post("/app/login", data={
            "login": code, "password": "wrong-guess", "csrf_token": token})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [401] * 5 + [429] * 7
    assert verifications["verify"] == 5  # the throttled ones never reached argon2
    db.session.rollback()  # a fresh snapshot: the threads wrote since this one began
    counter = db.session.get(ThrottleCounter, ACCOUNT + str(member.id))
    assert counter is not None and counter.failures == 5


def test_code_and_phone_count_together(client: FlaskClient, make_member: MakeMember) -> None:
    member = make_member(phone="13912345678")
    for login in (member.code, member.code.lower(), "13912345678", " 139 1234 5678 ",
                  f"  {member.code}"):
        assert attempt(client, login, "bad-password").status_code == 401
    assert attempt(client, "13912345678", PASSWORD).status_code == 429


def test_unknown_logins_count_under_the_typed_name(client: FlaskClient,
                                                   make_member: MakeMember) -> None:
    make_member()
    for login in ("nobody", " NOBODY", "Nobody ", "ＮＯＢＯＤＹ", "nobody"):
        assert attempt(client, login, "bad-password").status_code == 401
    assert attempt(client, "nobody", "bad-password").status_code == 429


def test_throttled_right_password_gets_429_without_a_check(
        app: Flask, make_member: MakeMember, verifications: Counter[str]) -> None:
    member = make_member()
    attacker = app.test_client()
    for _ in range(5):
        attempt(attacker, member.code, "guess")
    assert verifications["verify"] == 5
    fresh = app.test_client()
    response = attempt(fresh, member.code, PASSWORD)
    assert response.status_code == 429
    assert verifications["verify"] == 5  # nothing revealed: the password wasn't checked
    assert response.headers["Retry-After"] in {"4", "5"}
    assert "登录尝试过于频繁" in response.get_data(as_text=True)
    assert fresh.get("/app/").status_code == 302  # not signed in


def test_the_owners_device_signs_in_during_a_flood(app: Flask, make_member: MakeMember
                                                   ) -> None:
    member = make_member()
    owner = app.test_client()
    assert attempt(owner, member.code, PASSWORD).status_code == 302
    assert owner.get_cookie(throttle.DEVICE_COOKIE, path="/app/login") is not None
    owner.post("/app/logout", data={"csrf_token": csrf_from(
        owner.get("/app/").get_data(as_text=True))})
    attacker = app.test_client()
    statuses = [attempt(attacker, member.code, f"guess-{n}").status_code for n in range(12)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    assert attempt(owner, member.code, PASSWORD).status_code == 302  # the owner's phone
    # The owner's success cleared the account: the attacker starts again from zero
    # (and is slowed down again after five).
    assert db.session.get(ThrottleCounter, ACCOUNT + str(member.id)) is None


def test_a_device_cookie_counts_its_own_failures(app: Flask, make_member: MakeMember) -> None:
    member, other = make_member(), make_member()
    phone = app.test_client()
    assert attempt(phone, member.code, PASSWORD).status_code == 302
    for _ in range(5):
        assert attempt(phone, member.code, "typo").status_code == 401
    assert attempt(phone, member.code, PASSWORD).status_code == 429  # not a free pass
    # The cookie is for that account only: another account counts as usual.
    for _ in range(5):
        assert attempt(phone, other.code, "typo").status_code == 401
    assert attempt(phone, other.code, PASSWORD).status_code == 429
    # A forged device cookie counts for nothing.
    forged = app.test_client()
    forged.set_cookie(throttle.DEVICE_COOKIE, "W1sxLCJ4Il1d.forged", path="/app/login")
    assert attempt(forged, other.code, PASSWORD).status_code == 429


def test_a_success_clears_the_account(client: FlaskClient, make_member: MakeMember) -> None:
    member = make_member()
    for _ in range(4):
        attempt(client, member.code, "typo")
    assert attempt(client, member.code, PASSWORD).status_code == 302
    client.post("/app/logout", data={"csrf_token": csrf_from(
        client.get("/app/").get_data(as_text=True))})
    statuses = [attempt(client, member.code, "typo").status_code for _ in range(5)]
    assert statuses == [401] * 5


def test_successes_do_not_use_up_the_address(app: Flask, make_member: MakeMember) -> None:
    app.config["LOGIN_FREE_FAILURES_PER_ADDRESS"] = 3
    try:
        members = [make_member() for _ in range(6)]
        for member in members:
            client = app.test_client()
            assert attempt(client, member.code, PASSWORD).status_code == 302
    finally:
        app.config["LOGIN_FREE_FAILURES_PER_ADDRESS"] = 20


def test_unknown_and_known_accounts_cost_one_argon2_check_each(
        app: Flask, make_member: MakeMember, verifications: Counter[str]) -> None:
    member = make_member()
    pending = make_member(password=None)  # imported, not yet activated: no hash
    for login in ("no-such-member", member.code, pending.code):
        before = verifications["verify"]
        assert attempt(app.test_client(), login, "wrong-password").status_code == 401
        assert verifications["verify"] - before == 1, login


def test_the_audit_log_records_sign_ins(app: Flask, make_member: MakeMember) -> None:
    member = make_member()
    client = app.test_client()
    attempt(client, "stranger-007", "x-password")
    for _ in range(6):  # the 5th starts a wait, the 6th is throttled
        attempt(client, member.code, "typo")
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    actions = Counter(event.action for event in events)
    assert actions == {"sign_in_failed": 6, "sign_in_throttled": 1}
    unknown = events[0]
    assert unknown.target_member_id is None and "stranger-007" in (unknown.detail or "")
    throttled = next(e for e in events if e.action == "sign_in_throttled")
    assert throttled.target_member_id == member.id and "5次" in (throttled.detail or "")
